"""The permission matrix and the permission each REST operation requires, as the node says.

The matrix is the node's own (`GET /api/auth/permissions`, from `Permission::allows` in
crates/api/src/rbac.rs), read from the file `FUZZ_MATRIX` names (fuzz-api.sh fetches it
before the runs). Each operation of the OpenAPI document names what it requires in its
`x-permission` extension: a permission of the matrix, or
- "signed_in": any signed-in person (no organization role is consulted);
- "public": no authentication at all (`security: []` in the document).
An operation without one is an error of the document, and the run says so.
"""

import json
import os

ROLES = ("owner", "admin", "member", "viewer")


def _load() -> dict[str, set[str]]:
    path = os.environ.get("FUZZ_MATRIX")
    if not path:
        return {}
    with open(path, encoding="utf-8") as file:
        served = json.load(file)
    return {permission: set(roles) for permission, roles in served["permissions"].items()}


# Each permission and the roles it allows.
MATRIX = _load()

# How a refusal by the matrix reads (`OrgAccess::require`): other 403s are decisions
# of the handler (separation of duties, "only an owner can …"), not of the matrix.
MATRIX_REFUSAL = "your role in this organization ("


def requirement(label: str, definition: dict | None = None) -> str | None:
    """What operation `label` ("METHOD /path") requires; None when the document does not say."""
    if definition:
        return definition.get("x-permission")
    return None


def allows(required: str, role: str) -> bool:
    """Whether `role` may perform an operation that requires `required`."""
    if required in ("public", "signed_in"):
        return True
    if not MATRIX:
        raise RuntimeError("no permission matrix: set FUZZ_MATRIX to the node's /api/auth/permissions")
    if required not in MATRIX:
        raise KeyError(f"unknown permission {required!r}: not a row of the matrix")
    return role in MATRIX[required]
