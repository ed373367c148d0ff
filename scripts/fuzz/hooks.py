"""Schemathesis hooks for a fuzzing run signed in as one role of the seeded node.

Environment: FUZZ_SEED (the JSON `seed.py` wrote), FUZZ_ROLE (owner, admin, member or
viewer), FUZZ_CALLS (a file each request is appended to, one JSON line, for the
summary).

- Every request carries the role's access token and organization A's id, whatever the
  generator put in those headers. `POST /api/auth/logout` carries a spare session of
  the role instead (ending the session the run uses would turn every later answer into
  a 401), and `POST /api/auth/refresh` sometimes a real refresh token of another spare.
- Path parameters are seeded ids: detail, update and action routes act on real rows;
  routes that consume their row (delete, approve, cancel, publish…) get the rows set
  aside for this role. One request in ten names a row of organization B instead, and
  must then be answered as if it did not exist.
- Ids in bodies and queries (`agent_id` with a task type the agent performs,
  `social_account_id`), the webhook URL's `token` and invitation tokens are often
  replaced by real ones, so the handlers get past their lookups.

The check `permission_matrix` compares each answer with the matrix (`matrix.py`): a
refusal by the matrix where the role is allowed, an answer served where it is not, a
401 to a signed-in request and a foreign row served all fail the run.
"""

import json
import os
import random
import threading

import schemathesis

from matrix import MATRIX_REFUSAL, allows, requirement

with open(os.environ["FUZZ_SEED"], encoding="utf-8") as _seed:
    SEED = json.load(_seed)
ROLE = os.environ["FUZZ_ROLE"]
CALLS = os.environ["FUZZ_CALLS"]
ME = SEED["roles"][ROLE]
MINE = ME["targets"]
IDS = SEED["ids"]
FOREIGN = SEED.get("foreign", {})
FOREIGN_IDS = {value for key, value in FOREIGN.items() if isinstance(value, str) and key != "user_id"}
FOREIGN_SHARE = 0.1
# How often an id in a body or query is replaced by a real one.
REAL_SHARE = 0.7

_lock = threading.Lock()
_random = random.Random(int(os.environ.get("FUZZ_RANDOM_SEED", "0")))


def _pick(values):
    values = [value for value in values if value]
    return _random.choice(values) if values else None


def _tasks():
    return [*IDS.get("tasks", [])]


def _own(label: str, name: str):
    """The seeded id (or ids) for path parameter `name` of operation `label`, and the
    foreign row of the same kind."""
    method, path = label.split(" ", 1)
    if name == "id" and path.startswith("/api/organizations/{id}"):
        if label == "DELETE /api/organizations/{id}" and "organization_to_delete" in MINE:
            return MINE["organization_to_delete"], FOREIGN.get("organization")
        return SEED["organization"], FOREIGN.get("organization")
    if name == "user_id":
        if method == "PATCH":
            return MINE.get("member_to_change"), FOREIGN.get("user_id")
        return MINE.get("member_to_remove"), FOREIGN.get("user_id")
    if name == "invitation_id":
        purpose = "invitation_to_resend" if path.endswith("/resend") else "invitation_to_revoke"
        return MINE.get(purpose), FOREIGN.get("invitation")
    if path.startswith("/api/agents/{id}"):
        if method == "DELETE":
            return MINE.get("agent_to_delete"), FOREIGN.get("agent")
        if method == "GET":
            return _pick(IDS.get("agents", [])), FOREIGN.get("agent")
        return MINE.get("agent"), FOREIGN.get("agent")
    if path.startswith("/api/agent-tasks/{id}"):
        for action in ("approve", "reject", "cancel", "retry"):
            if path.endswith("/" + action):
                return MINE.get(f"task_to_{action}"), FOREIGN.get("task")
        return _pick(_tasks()), FOREIGN.get("task")
    if path.startswith("/api/social/posts/{id}"):
        if path.endswith("/publish"):
            return MINE.get("post_to_publish"), FOREIGN.get("social_post")
        if method == "PATCH":
            return MINE.get("post_to_edit"), FOREIGN.get("social_post")
        if method == "DELETE":
            return MINE.get("post_to_delete"), FOREIGN.get("social_post")
        return _pick(IDS.get("social_posts", [])), FOREIGN.get("social_post")
    if path.startswith("/api/schedules/{id}"):
        key = "schedule_to_delete" if method == "DELETE" else "schedule_to_edit"
        return MINE.get(key), FOREIGN.get("schedule")
    if path.startswith("/api/social/accounts/{id}"):
        return _pick(IDS.get("social_accounts", [])), FOREIGN.get("social_account")
    if name == "platform":
        return _pick(["twitter", "linkedin"]), None
    if name == "service":
        if path.startswith("/api/webhooks/") and label.startswith("GET "):
            # Only X and LinkedIn answer a challenge on GET (the document's enum).
            return _pick([s for s in IDS.get("services", []) if s in ("twitter", "linkedin")]), None
        if path.startswith("/api/webhooks/"):
            return _pick(IDS.get("services", [])), None
        if path.endswith("/connect") or path.endswith("/disconnect"):
            return MINE.get("service"), None
        return _pick(IDS.get("services", [])), None
    for prefix, key in (
        ("/api/repositories/", "repositories"),
        ("/api/pull-requests/", "pull_requests"),
        ("/api/deployments/", "deployments"),
        ("/api/figma/files/", "figma_files"),
        ("/api/design-components/", "design_components"),
    ):
        if path.startswith(prefix):
            return _pick(IDS.get(key, [])), None
    return None, None


def _set_header(headers: dict, name: str, value: str) -> None:
    for key in [key for key in headers if key.lower() == name]:
        del headers[key]
    headers[name] = value


@schemathesis.hook
def before_call(context, case, kwargs):
    label = case.operation.label
    headers = dict(case.headers or {})
    token = ME["spare_access_token"] if label == "POST /api/auth/logout" else ME["access_token"]
    _set_header(headers, "authorization", f"Bearer {token}")
    _set_header(headers, "x-organization-id", SEED["organization"])
    case.headers = headers
    if case.path_parameters:
        parameters = dict(case.path_parameters)
        seeded = label.startswith("GET ") and "id" in parameters
        for name in parameters:
            own, foreign = _own(label, name)
            if foreign and _random.random() < FOREIGN_SHARE:
                parameters[name] = foreign
                seeded = False
            elif own:
                parameters[name] = own
            elif name == "id":
                seeded = False
        case.path_parameters = parameters
        # Read with the id of a seeded row no run consumes: a 404 would be a lie.
        _SEEDED_READS[(id(case), label)] = seeded
    if case.query and isinstance(case.query, dict):
        query = dict(case.query)
        if "token" in query and label.startswith(("POST /api/webhooks/", "GET /api/webhooks/")):
            service = (case.path_parameters or {}).get("service")
            real = SEED["webhook_tokens"].get(service) if isinstance(service, str) else None
            # A challenge is answered at most 10 times a minute an integration (429 past
            # it): the real token less often on GET.
            share = REAL_SHARE if label.startswith("POST ") else 0.35
            if real and _random.random() < share:
                query["token"] = real
            # The challenge's name depends on the service (X: crc_token, LinkedIn:
            # challengeCode), which the document cannot tie to the path.
            if label.startswith("GET ") and _random.random() < REAL_SHARE:
                wanted, other = (("crc_token", "challengeCode") if service == "twitter"
                                 else ("challengeCode", "crc_token"))
                if wanted not in query and other in query:
                    query[wanted] = query.pop(other)
        if "agent_id" in query and _random.random() < REAL_SHARE:
            query["agent_id"] = _pick(IDS.get("agents", []))
        if "social_account_id" in query and _random.random() < REAL_SHARE:
            query["social_account_id"] = _pick(IDS.get("social_accounts", []))
        case.query = query
    if isinstance(case.body, dict):
        body = dict(case.body)
        performs = IDS.get("agent_task_types", {})
        if "agent_id" in body and _random.random() < REAL_SHARE:
            body["agent_id"] = _pick(list(performs) or IDS.get("agents", []))
        # The generator also reuses agent ids it saw in answers: give a known agent a
        # task type it performs, most of the time.
        agent = body.get("agent_id")
        if "task_type" in body and isinstance(agent, str) and performs.get(agent):
            body["task_type"] = _pick(performs[agent])
        if "social_account_id" in body and _random.random() < REAL_SHARE:
            body["social_account_id"] = _pick(IDS.get("social_accounts", []))
        live = IDS.get("invitation_token")
        if live and _random.random() < REAL_SHARE:
            if label in ("POST /api/invitations/preview", "POST /api/invitations/accept") and "token" in body:
                body["token"] = live
            elif label == "POST /api/auth/register" and "invitation_token" in body:
                # An invitation is for the address it was sent to.
                body["invitation_token"] = live
                body["email"] = IDS.get("invitation_email", body.get("email"))
        if label == "POST /api/schedules" and isinstance(body.get("name"), str):
            # A schedule's name is unique in its organization: generated names repeat.
            body["name"] = f"{body['name'][:200]} {_random.randrange(10**9)}"
        if label == "POST /api/auth/refresh" and "refresh_token" in body and _random.random() < 0.3:
            body["refresh_token"] = ME["refresh_token"]
        case.body = body


def _detail(response) -> str:
    try:
        answer = response.json()
    except Exception:
        return ""
    return str(answer.get("detail", "")) if isinstance(answer, dict) else ""


def _foreign(case) -> bool:
    return any(isinstance(value, str) and value in FOREIGN_IDS for value in (case.path_parameters or {}).values())


def _requirement(case):
    definition = getattr(getattr(case.operation, "definition", None), "raw", None)
    return requirement(case.operation.label, definition if isinstance(definition, dict) else None)


@schemathesis.hook
def after_call(context, case, response):
    status = response.status_code
    meta = getattr(case, "meta", None)
    mode = getattr(getattr(getattr(meta, "generation", None), "mode", None), "value", None)
    record = {
        "role": ROLE,
        "operation": case.operation.label,
        "status": status,
        "mode": mode,
        "foreign": _foreign(case),
    }
    if 400 <= status < 600:
        record["detail"] = _detail(response)[:200]
    with _lock, open(CALLS, "a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")


# Whether a case (by identity and operation, until its check) reads a row by the id of a
# seeded row that stays.
_SEEDED_READS: dict[tuple[int, str], bool] = {}


@schemathesis.check
def permission_matrix(ctx, response, case):
    """401/403 only where the permission matrix says, no foreign row served, and no 404
    for a seeded row."""
    status = response.status_code
    seeded = _SEEDED_READS.pop((id(case), case.operation.label), False)
    if status == 404 and seeded:
        raise AssertionError(f"{ROLE} was told a seeded row does not exist: {_detail(response)}")
    required = _requirement(case)
    if required is None:
        raise AssertionError(
            f"{case.operation.label} names no permission (x-permission in the document)"
        )
    if _foreign(case) and 200 <= status < 300:
        raise AssertionError(f"{ROLE} was served another organization's row")
    if status == 401 and required != "public":
        raise AssertionError(f"401 to a signed-in {ROLE}: {_detail(response)}")
    if required in ("public", "signed_in"):
        return None
    if allows(required, ROLE):
        if status == 403 and _detail(response).startswith(MATRIX_REFUSAL):
            raise AssertionError(f"{ROLE} was refused by the matrix, which allows {ROLE} to {required}")
    elif 200 <= status < 300:
        raise AssertionError(f"{ROLE} was served, though the matrix refuses {ROLE} {required}")
    return None
