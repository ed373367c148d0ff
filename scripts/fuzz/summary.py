"""The summary of the signed-in fuzzing runs, and their verdict.

Reads every request the runs sent (the hooks' call log), each role's schemathesis JSON
report and the OpenAPI document, and prints per role: how many operations were
reached past authentication out of all of them, how many were served (2xx at least
once), how many requests were sent, and how many server errors came back. Fails when
there is a server error, an operation a role never got past authentication, or an
operation schemathesis reports as mostly rejecting generated data (the document lacks
a constraint the API enforces), or when a run failed.

Usage: python3 summary.py <openapi.json> <calls.ndjson> <report dir> <role:exit code>...
"""

import json
import os
import sys
from collections import defaultdict

from matrix import MATRIX_REFUSAL, ROLES, allows, requirement

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

# Operations that take the token of a link mailed to an address and spend it: the
# document cannot describe a live one, so generated data is always refused, which
# says nothing about the document's constraints. (A live invitation for the caller's
# own address would make them a member of another organization mid-run, so accepting
# is tried only with invitations sent to others.)
SPENT_TOKENS = {
    "POST /api/auth/verify-email",
    "POST /api/auth/password-reset/confirm",
    "POST /api/invitations/accept",
    # The invitation token of a link (single use: a registration with it spends it) or,
    # without one, what the node allows (the first account, open registration).
    "POST /api/invitations/preview",
    "POST /api/auth/register",
    # A vendor's challenge: the webhook URL's token is a secret of the integration, and
    # the node answers at most 10 challenges a minute an integration (429 past it).
    "GET /api/webhooks/{service}/receive",
}


def operations(document):
    found = {}
    for path, item in document.get("paths", {}).items():
        for method, definition in item.items():
            if method in METHODS:
                found[f"{method.upper()} {path}"] = definition
    return found


def past_authentication(call, required, role):
    status = call["status"]
    if status == 401 and required != "public":
        return False
    if status == 403 and required not in (None, "public", "signed_in") and allows(required, role):
        return not call.get("detail", "").startswith(MATRIX_REFUSAL)
    return status < 500


def main():
    document_path, calls_path, reports, *outcomes = sys.argv[1:]
    with open(document_path, encoding="utf-8") as document:
        ops = operations(json.load(document))
    exits = dict(outcome.split(":", 1) for outcome in outcomes)
    calls = defaultdict(list)
    if os.path.exists(calls_path):
        with open(calls_path, encoding="utf-8") as lines:
            for line in lines:
                call = json.loads(line)
                calls[(call["role"], call["operation"])].append(call)
    failed = False
    mismatched = defaultdict(set)
    missing_data = defaultdict(set)
    print("==> signed-in fuzzing, per role")
    print(f"    {'role':<7} {'reached':>9} {'served':>9} {'requests':>9} {'5xx':>5} {'401':>5} {'403':>5}  run")
    unreached = {}
    server_errors = []
    unnamed = [label for label, definition in sorted(ops.items()) if requirement(label, definition) is None]
    if unnamed:
        failed = True
        print(f"    {len(unnamed)} operations name no permission (x-permission): {', '.join(unnamed)}")
    for role in ROLES:
        if role not in exits:
            continue
        reached = served = sent = errors = unauthorized = forbidden = 0
        unreached[role] = []
        for label, definition in sorted(ops.items()):
            required = requirement(label, definition)
            mine = calls.get((role, label), [])
            sent += len(mine)
            errors += sum(1 for call in mine if call["status"] >= 500)
            unauthorized += sum(1 for call in mine if call["status"] == 401)
            forbidden += sum(1 for call in mine if call["status"] == 403)
            server_errors += [(role, label, call["status"]) for call in mine if call["status"] >= 500]
            if any(past_authentication(call, required, role) for call in mine):
                reached += 1
            else:
                unreached[role].append(f"{label} ({len(mine)} requests: "
                                       f"{sorted({call['status'] for call in mine})})")
            if any(200 <= call["status"] < 300 for call in mine):
                served += 1
        report_path = os.path.join(reports, f"{role}.json")
        verdict = "exit " + exits[role]
        if os.path.exists(report_path):
            with open(report_path, encoding="utf-8") as report:
                warnings = json.load(report).get("warnings", {})
            # A role the matrix refuses an operation is turned away before its data is
            # read: only the roles it allows say whether the document's constraints hold.
            def allowed(label):
                required = requirement(label, ops.get(label))
                return required is None or allows(required, role)

            for label in warnings.get("validation_mismatch", []):
                if allowed(label) and label not in SPENT_TOKENS:
                    mismatched[label].add(role)
            for label in warnings.get("missing_test_data", []):
                if allowed(label):
                    missing_data[label].add(role)
        else:
            verdict += ", no report"
            failed = True
        if exits[role] != "0":
            failed = True
        total = len(ops)
        print(f"    {role:<7} {reached:>4}/{total:<4} {served:>4}/{total:<4} {sent:>9} {errors:>5} "
              f"{unauthorized:>5} {forbidden:>5}  {verdict}")
    for role, labels in unreached.items():
        if labels:
            failed = True
            print(f"    {role}: {len(labels)} operations never got past authentication:")
            for label in labels:
                print(f"      {label}")
    if server_errors:
        failed = True
        print(f"    {len(server_errors)} server errors:")
        counted = defaultdict(int)
        for error in server_errors:
            counted[error] += 1
        for (role, label, status), count in sorted(counted.items()):
            print(f"      {status} {label} as {role} ({count}x)")
    if mismatched:
        failed = True
        print(f"    {len(mismatched)} operations mostly rejected generated data (schema validation mismatch:"
              " the document lacks constraints the API enforces):")
        for label, roles in sorted(mismatched.items()):
            print(f"      {label} (as {', '.join(sorted(roles, key=ROLES.index))})")
    if missing_data:
        print(f"    {len(missing_data)} operations repeatedly answered 404 (missing test data):")
        for label, roles in sorted(missing_data.items()):
            print(f"      {label} (as {', '.join(sorted(roles, key=ROLES.index))})")
    total_sent = sum(len(mine) for mine in calls.values())
    print(f"==> {total_sent} requests, {len(server_errors)} server errors: {'FAILED' if failed else 'passed'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
