"""Fuzzes GraphQL (`POST /graphql`) signed in as each role of the seeded node.

The queries and mutations are generated from the running node's own schema
(introspection): for every query and mutation field, operations whose arguments are the
seeded rows' ids (ids of organization B in a share of them), values of the argument's
type at and past its edges (unicode, empty and very long strings, ints at their bounds,
dates at chrono's limits, enum values and names of none, JSON of every shape, nulls
and omissions for optional arguments), sent as variables or written inline, with a
selection of the type's scalar fields and one or two levels of its object fields.
Every request carries the role's access token and organization A's id in
`X-Organization-Id`, the header the endpoint takes the organization from when a field
names none (`organizationId`).

Mutations that consume their row (approving, rejecting and cancelling a task, revoking
an invitation, disabling an agent, publishing a post) act on rows this run sets aside
for each role before it starts, through the REST API as `seed.py` does, so that the
shared seeded rows stay as they are.

Every answer is checked:
- no server error: no HTTP 5xx and no GraphQL error whose `extensions.status` is one;
- no database object named: no table, column or constraint name and no SQL error text
  in an error, and no SQL error text in the data;
- no cross-organization data: no id of organization B's rows in the data, nor in an
  error unless the request named it, and a field given one of B's ids (or B itself as
  `organizationId`) answers with an error or null, never a row;
- the permission matrix (`matrix.py`): a field the matrix allows the role is never
  refused with the matrix's words (`extensions.code` FORBIDDEN and the message
  `OrgAccess::require` writes), and a field it refuses is never served.

Prints, per role, the fields reached (answered past authentication and, where the
matrix allows the role, past authorisation), the fields served (data at least once),
the requests sent, those refused before any field ran (GraphQL validation), and the
count of each kind of violation; then every violation with its request and answer.
Exits non-zero on any violation or on a field a role never reached.

Usage: python3 graphql.py <seed json> <base url> [role ...]
FUZZ_RANDOM_SEED (default 0; an integer FUZZ_SEED is read when it is unset) makes the
generated operations reproducible; FUZZ_GRAPHQL_REQUESTS (default 1000) is the number of
requests per role; FUZZ_GRAPHQL_LOG, when set, receives every request's outcome as a
JSON line.
"""

import json
import os
import random
import re
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

from matrix import MATRIX_REFUSAL, ROLES, allows
from seed import Api, Failed

# What each field requires, read from crates/api/src/graphql/query.rs and
# crates/api/src/graphql/mutation.rs (the permission each passes to `access(…)`) and the
# shared request functions they call, which check again: `live_invitations`,
# `invite_member` and `revoke_invitation` (crates/api/src/invitations.rs),
# `request_rollback` and `request_review` (crates/api/src/rest/development.rs),
# `request_publish` (crates/api/src/rest/social.rs). A role may use a field when the
# matrix allows it every permission listed.
REQUIRES = {
    # Any signed-in person: the cluster's nodes (another tenant's organizations are
    # counted, never named).
    "Query.cluster": (),
    "Query.organization": ("view_dashboard",),
    "Query.invitations": ("view_dashboard", "manage_members"),
    "Query.agents": ("view_dashboard",),
    "Query.agent": ("view_dashboard",),
    "Query.agentTasks": ("view_dashboard",),
    "Query.agentTask": ("view_dashboard",),
    "Query.pullRequests": ("view_dashboard",),
    "Query.deployments": ("view_dashboard",),
    "Query.socialPosts": ("view_dashboard",),
    "Query.events": ("view_dashboard",),
    "Query.analytics": ("view_dashboard",),
    "Query.search": ("view_dashboard",),
    # Inviting an owner also needs the caller to be one: the handler's rule, refused
    # in its own words, not the matrix's.
    "Mutation.inviteMember": ("manage_members",),
    "Mutation.revokeInvitation": ("manage_members",),
    "Mutation.spawnAgent": ("spawn_agents",),
    "Mutation.enableAgent": ("spawn_agents",),
    "Mutation.disableAgent": ("spawn_agents",),
    "Mutation.createAgentTask": ("spawn_agents",),
    "Mutation.approveAgentTask": ("approve_agent_tasks",),
    "Mutation.rejectAgentTask": ("approve_agent_tasks",),
    "Mutation.cancelAgentTask": ("spawn_agents",),
    "Mutation.rollbackDeployment": ("spawn_agents", "roll_back_deployments"),
    "Mutation.publishSocialPost": ("publish_social_posts",),
    "Mutation.requestAgentReview": ("spawn_agents",),
}

# The kind of row an id argument names ("field.argument" or "field.input.field"), for
# the arguments that name one. A kind is a pool of organization A's ids (`pools`) and,
# for kinds organization B has, B's row of that kind.
ID_ARGUMENTS = {
    "organization.id": "organization",
    "agent.id": "agent",
    "agentTask.id": "task",
    "revokeInvitation.id": "invitation_to_revoke",
    "enableAgent.id": "agent_to_enable",
    "disableAgent.id": "agent_to_disable",
    "approveAgentTask.taskId": "task_to_approve",
    "rejectAgentTask.taskId": "task_to_reject",
    "cancelAgentTask.taskId": "task_to_cancel",
    "rollbackDeployment.id": "deployment",
    "publishSocialPost.id": "post_to_publish",
    "requestAgentReview.pullRequestId": "pull_request",
    "createAgentTask.input.agentId": "agent",
    "agentTasks.filters.agentId": "agent",
    "pullRequests.filters.repositoryId": "repository",
    "socialPosts.filters.socialAccountId": "social_account",
}
FOREIGN_KINDS = {
    "organization": "organization",
    "agent": "agent",
    "agent_to_enable": "agent",
    "agent_to_disable": "agent",
    "task": "task",
    "task_to_approve": "task",
    "task_to_reject": "task",
    "task_to_cancel": "task",
    "invitation_to_revoke": "invitation",
    "post_to_publish": "social_post",
    "social_account": "social_account",
}

# Shares of the generated values.
FOREIGN_SHARE = 0.15  # an id argument names organization B's row
REAL_SHARE = 0.7  # an id or name argument is a real one of organization A
OMIT_SHARE = 0.3  # an optional argument or input field is left out
NULL_SHARE = 0.05  # an optional argument is an explicit null
INLINE_SHARE = 0.2  # arguments are written in the document instead of as variables
BROKEN_SHARE = 0.03  # a required argument is left out, or an enum names no value

# How an answer may name the database (crates/api/tests/rest.rs `names_the_database`,
# the tables of migrations/, and the error texts of SQLite, PostgreSQL and sqlx).
SQL_ERROR_TEXT = re.compile(
    r"violates|SQLSTATE|\bsqlx\b|sqlite|postgres|UNIQUE constraint|FOREIGN KEY|CHECK constraint|"
    r"NOT NULL constraint|duplicate key|error returned from database|no such table|no such column|"
    r"syntax error at or near|database is locked|relation \"|\bpg_[a-z_]+",
    re.IGNORECASE,
)
TABLES = (
    "agent_collaborations agent_tasks agents deployments design_components email_tokens events figma_files "
    "instance_claim integrations invitations invoices metrics organization_members organizations "
    "pull_requests refresh_tokens repositories revoked_sessions schedules social_accounts social_posts "
    "task_outbox users webhook_challenges webhook_deliveries webhooks workflow_runs workflow_steps"
).split()
DATABASE_OBJECT = re.compile(
    r"\bconstraint\b|\bUNIQUE\b|_fkey\b|_pkey\b|\borganization_id\b|\b[a-z]+_id_key\b|"
    r"\b(?:" + "|".join(t for t in TABLES if "_" in t) + r")\b|"
    r"\b(?:" + "|".join(TABLES) + r")\.[a-z_]+\b"
)

EDGE_STRINGS = [
    "",
    " ",
    "a",
    "Zürich – ☃ – 日本語 – 👩‍💻",
    "مرحبا بالعالم",
    "\u202eright to left\u202c",
    "e\u0301\u0301\u0301\u0301",
    "\ufeffwith a byte order mark",
    "tab\tnewline\ncarriage\r",
    "' OR '1'='1",
    "\"; DROP TABLE x; --",
    "%s%s%n%x",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "{\"a\": 1}",
    "\\",
    "null",
    "-1",
    "9" * 40,
    "x" * 256,
    "y" * 5000,
    "😀" * 300,
    "z" * 100_000,
]
# Rare: refused at the edge (NUL) or by the JSON parser (a lone surrogate).
RARE_STRINGS = ["nul\x00inside", "\ud800 lone surrogate"]
PLAIN_STRINGS = ["weekly words", "Zürich office", "ship it", "a b c", "release 1.2.3"]
INTS = [0, 1, -1, 2, 49, 50, 199, 200, 201, 1000, 2**31 - 1, -(2**31)]
DATES = [
    "2024-06-01T12:00:00Z",
    "2030-01-01T00:00:00+02:00",
    "1970-01-01T00:00:00Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999999Z",
    "+262142-12-31T23:59:59Z",
    "-262143-01-01T00:00:00Z",
    "2024-02-30T00:00:00Z",
    "2024-13-45T25:61:61Z",
    "yesterday",
    "",
    "1700000000",
]


def deep(depth):
    value = {"text": "a b c"}
    for _ in range(depth):
        value = {"nested": value}
    return value


JSONS = [
    {},
    {"text": "a b c"},
    {"text": "Zürich 日本語 👩‍💻 " * 20},
    {"words": 3},
    {"text": ""},
    [],
    [1, "two", None, {"three": 3}],
    "a string",
    0,
    -1,
    1e308,
    2**63,
    True,
    None,
    deep(30),
    deep(200),
    {f"k{i}": i for i in range(500)},
    {"": None, "text": None},
]


def unwrap(ref):
    """The named type under NON_NULL and LIST wrappers."""
    while ref.get("ofType"):
        ref = ref["ofType"]
    return ref


def type_string(ref):
    if ref["kind"] == "NON_NULL":
        return type_string(ref["ofType"]) + "!"
    if ref["kind"] == "LIST":
        return "[" + type_string(ref["ofType"]) + "]"
    return ref["name"]


INTROSPECTION = """query {
  __schema {
    queryType { name }
    mutationType { name }
    types {
      kind name
      fields { name args { name defaultValue type { ...T } } type { ...T } }
      inputFields { name defaultValue type { ...T } }
      enumValues { name }
    }
  }
}
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"""


class Inline(Exception):
    """A value that cannot be written as a GraphQL literal (sent as a variable instead)."""


NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")


def literal(value, ref, types):
    """`value` written as a GraphQL literal of type `ref`."""
    if value is None:
        return "null"
    if ref["kind"] == "NON_NULL":
        return literal(value, ref["ofType"], types)
    if ref["kind"] == "LIST":
        if not isinstance(value, list):
            return literal(value, ref["ofType"], types)
        return "[" + ", ".join(literal(item, ref["ofType"], types) for item in value) + "]"
    kind = types[ref["name"]]["kind"]
    if kind == "ENUM":
        if not isinstance(value, str) or not NAME.match(value):
            raise Inline()
        return value
    if kind == "INPUT_OBJECT":
        fields = {field["name"]: field for field in types[ref["name"]]["inputFields"]}
        return "{" + ", ".join(f"{name}: {literal(item, fields[name]['type'], types)}"
                               for name, item in value.items()) + "}"
    if ref["name"] == "JSON":
        return json_literal(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        if any(0xD800 <= ord(char) <= 0xDFFF for char in value):
            raise Inline()
        return json.dumps(value, ensure_ascii=False)
    raise Inline()


def json_literal(value):
    if isinstance(value, dict):
        if not all(NAME.match(key) for key in value):
            raise Inline()
        return "{" + ", ".join(f"{key}: {json_literal(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(json_literal(item) for item in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value != value:
        raise Inline()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value)


class Node:
    """The node's GraphQL endpoint, signed in as one person."""

    def __init__(self, base, token, organization):
        self.url = base.rstrip("/") + "/graphql"
        self.token = token
        self.organization = organization

    def ask(self, query, variables=None, organization=None, header=True):
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(self.url, data=body, method="POST")
        request.add_header("content-type", "application/json")
        request.add_header("authorization", f"Bearer {self.token}")
        if header:
            request.add_header("x-organization-id", organization or self.organization)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, text = response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode("utf-8", "replace")
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            status, text = 0, f"no answer: {error}"
        try:
            answer = json.loads(text)
        except ValueError:
            answer = None
        return status, text, answer


class Fuzzer:
    def __init__(self, seed, base, rng):
        self.seed = seed
        self.base = base
        self.rng = rng
        self.api = Api(base)
        self.organization = seed["organization"]
        self.foreign = seed.get("foreign", {})
        # B's person was a member of A once: A's events may name them.
        self.foreign_ids = {value for key, value in self.foreign.items()
                            if isinstance(value, str) and key != "user_id"}
        self.cursors = []
        self.counter = 0
        owner = Node(base, seed["roles"]["owner"]["access_token"], self.organization)
        status, text, answer = owner.ask(INTROSPECTION)
        if status != 200 or not answer or not answer.get("data"):
            raise Failed(f"introspection: {status} {text[:400]}")
        schema = answer["data"]["__schema"]
        self.types = {item["name"]: item for item in schema["types"]}
        self.roots = []
        for root in (schema["queryType"], schema.get("mutationType")):
            if root:
                for field in self.types[root["name"]]["fields"]:
                    self.roots.append((root["name"], field))
        missing = [f"{root}.{field['name']}" for root, field in self.roots
                   if f"{root}.{field['name']}" not in REQUIRES]
        if missing:
            raise Failed(f"fields the permission table does not list: {', '.join(missing)}")

    # Rows this run consumes, set aside per role.

    def prepare(self, role):
        """Rows of `role`'s own that the mutations consuming theirs act on."""
        owner = self.seed["roles"]["owner"]["access_token"]
        asker = self.seed["roles"]["admin" if role == "owner" else "owner"]["access_token"]
        org = self.organization
        ids = self.seed["ids"]
        performs = ids.get("agent_task_types", {})
        counter = next((agent for agent, kinds in performs.items() if "count_text" in kinds), None)
        mine = {"agent": [], "tasks": {}, "invitations": [], "posts": []}

        def call(token, method, path, body):
            status, answer = self.api.call(method, path, body, token=token, org=org)
            if status >= 300 or not isinstance(answer, dict):
                print(f"    graphql: could not set aside a row for {role}: {method} {path}: {status} "
                      f"{str(answer)[:200]}", file=sys.stderr)
                return None
            return answer.get("id")

        agent = call(owner, "POST", "/api/agents",
                     {"name": f"{role}'s GraphQL counter {uuid.uuid4().hex[:8]}", "type": "text_stats"})
        if agent:
            mine["agent"].append(agent)
        for action in ("approve", "reject", "cancel"):
            mine["tasks"][action] = [
                task for task in (
                    call(asker, "POST", "/api/agent-tasks",
                         {"agent_id": counter or agent, "task_type": "count_text", "input": {"text": "a b"},
                          "requires_approval": True})
                    for _ in range(3)
                ) if task
            ]
        for number in range(3):
            invitation = call(owner, "POST", f"/api/organizations/{org}/members",
                              {"email": f"graphql-{number}.{role}@elsewhere.example", "role": "member"})
            if invitation:
                mine["invitations"].append(invitation)
        accounts = ids.get("social_accounts", [])
        if accounts:
            post = call(owner, "POST", "/api/social/posts",
                        {"social_account_id": accounts[0], "content": f"{role}'s GraphQL post"})
            if post:
                mine["posts"].append(post)
        return mine

    def pools(self, role, mine):
        ids = self.seed["ids"]
        by_state = ids.get("tasks_by_state", {})
        # Tasks already decided: approving, rejecting or cancelling them is a conflict.
        decided = [by_state[state] for state in ("completed", "cancelled", "rejected", "failed") if state in by_state]
        return {
            "organization": [self.organization],
            "agent": ids.get("agents", []) + mine["agent"],
            "agent_to_enable": mine["agent"] + ids.get("agents", []),
            "agent_to_disable": mine["agent"],
            "task": ids.get("tasks", []),
            "task_to_approve": mine["tasks"].get("approve", []) + decided,
            "task_to_reject": mine["tasks"].get("reject", []) + decided,
            "task_to_cancel": mine["tasks"].get("cancel", []) + decided,
            "invitation_to_revoke": mine["invitations"],
            "deployment": ids.get("deployments", []),
            "post_to_publish": mine["posts"] + ids.get("social_posts", [])[2:3],
            "pull_request": ids.get("pull_requests", []),
            "repository": ids.get("repositories", []),
            "social_account": ids.get("social_accounts", []),
        }

    # Values.

    def string(self):
        if self.rng.random() < 0.02:
            return self.rng.choice(RARE_STRINGS)
        return self.rng.choice(EDGE_STRINGS)

    def fresh(self, prefix):
        """A name not used before in this run."""
        self.counter += 1
        return f"{prefix}{self.counter}"

    def named_string(self, where, state):
        """A string argument or input field the API reads as a name of something."""
        rng = self.rng
        ids = self.seed["ids"]
        real = rng.random() < REAL_SHARE
        if where == "spawnAgent.type" or where.endswith("filters.type"):
            return rng.choice(ids.get("agent_types") or ["text_stats"]) if real else self.string()
        if where == "spawnAgent.name":
            return self.fresh(f"GraphQL {state['role']} agent ") if real else self.string()
        if where == "inviteMember.email":
            if real:
                if rng.random() < 0.15:
                    return rng.choice([entry["email"] for entry in self.seed["roles"].values()])
                return self.fresh(f"graphql-invite.{state['role']}.") + "@elsewhere.example"
            return rng.choice([self.string(), "no-at-sign", "a@b", "UPPER@ELSEWHERE.EXAMPLE", "x@" + "y" * 300])
        if where == "createAgentTask.input.taskType":
            agent = state.get("agent")
            kinds = ids.get("agent_task_types", {}).get(agent) if agent else None
            if real and kinds:
                return rng.choice(kinds)
            return rng.choice([self.string(), "count_text", "rollback"])
        if where.endswith("taskType"):
            return rng.choice(["count_text", "analyze_pr", "sync_integration"]) if real else self.string()
        if where.endswith(".after"):
            if self.cursors and rng.random() < 0.7:
                return rng.choice(self.cursors)
            return rng.choice([self.string(), "eyJpZCI6IngifQ", "AAAA", "!!!"])
        if where.endswith("metricTypes"):
            return rng.choice(["task_success_rate", "tasks_completed", "deployment_health"]) if real else self.string()
        if where.endswith("eventType"):
            if real:
                return rng.choice(["task.created", "pull_request.opened", "deployment.succeeded"])
            return self.string()
        if where.endswith("filters.source"):
            return rng.choice(["github", "vercel", "agent", "user"]) if real else self.string()
        return self.string() if rng.random() < 0.5 else rng.choice(PLAIN_STRINGS)

    def random_id(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def id_value(self, where, state):
        rng = self.rng
        kind = ID_ARGUMENTS.get(where)
        if where.endswith("organizationId") or where == "organization.id":
            roll = rng.random()
            if roll < 0.55:
                return None  # the header's
            if roll < 0.75:
                return self.organization
            if roll < 0.9:
                return self.foreign.get("organization")
            return rng.choice([self.random_id(), "not-an-id", "", self.string()])
        if kind:
            foreign = self.foreign.get(FOREIGN_KINDS.get(kind, ""))
            if foreign and rng.random() < FOREIGN_SHARE:
                return foreign
            pool = state["pools"].get(kind, [])
            if pool and rng.random() < REAL_SHARE / (1 - FOREIGN_SHARE):
                used = state["used"].setdefault(kind, 0)
                state["used"][kind] = used + 1
                # Consumable rows in their order first, so each is acted on once.
                value = pool[used] if used < len(pool) else rng.choice(pool)
                if where == "createAgentTask.input.agentId":
                    state["agent"] = value
                return value
        return rng.choice([self.random_id(), "not-an-id", "", "00000000-0000-0000-0000-000000000000",
                           self.string(), rng.choice(self.seed["ids"].get("agents", ["x"]))])

    def value(self, ref, where, state, required=True):
        """A value of type `ref` for the argument or input field at `where`; `...` leaves it out."""
        rng = self.rng
        if ref["kind"] == "NON_NULL":
            if rng.random() < BROKEN_SHARE / 3:
                return ...  # a required one left out
            return self.value(ref["ofType"], where, state, required=True)
        if not required:
            roll = rng.random()
            # A page past the first is asked for less often than the first.
            if roll < (0.6 if where.endswith(".after") else OMIT_SHARE):
                return ...
            if roll < OMIT_SHARE + NULL_SHARE:
                return None
        if ref["kind"] == "LIST":
            length = rng.choice([0, 1, 1, 2, 3, 51]) if rng.random() < 0.3 else rng.randint(1, 3)
            items = [self.value(ref["ofType"], where, state) for _ in range(length)]
            return [item for item in items if item is not ...]
        name = ref["name"]
        kind = self.types[name]["kind"]
        if kind == "ENUM":
            values = [item["name"] for item in self.types[name]["enumValues"]]
            if rng.random() < BROKEN_SHARE:
                return rng.choice(["NOT_A_VALUE", values[0].lower(), ""])
            return rng.choice(values)
        if kind == "INPUT_OBJECT":
            out = {}
            for field in self.types[name]["inputFields"]:
                item = self.value(field["type"], f"{where}.{field['name']}", state,
                                  required=field["type"]["kind"] == "NON_NULL")
                if item is not ...:
                    out[field["name"]] = item
            return out
        if name == "ID":
            return self.id_value(where, state)
        if name == "String":
            return self.named_string(where, state)
        if name == "Int":
            if where.endswith(".first"):
                return rng.randint(1, 20) if rng.random() < 0.7 else rng.choice(INTS + [2**31, -(2**40)])
            if where.endswith(".priority") and rng.random() < REAL_SHARE:
                return rng.randint(1, 10)
            return rng.choice(INTS) if rng.random() < 0.8 else rng.randint(-1000, 1000)
        if name == "Float":
            return rng.choice([0.0, -1.5, 1e308, -1e308, 3.14])
        if name == "Boolean":
            return rng.random() < 0.5
        if name == "DateTime":
            if rng.random() < 0.5:
                return (datetime.now(timezone.utc) - timedelta(days=rng.randint(-10, 60))).isoformat()
            return rng.choice(DATES)
        if name == "JSON":
            if where.endswith("config") and rng.random() < 0.6:
                return rng.choice([{}, {"threshold": 3}, {"llm": {"model": "x"}}, {"llm": "not an object"}])
            return rng.choice(JSONS)
        return self.string()

    def selection(self, ref, level=0):
        """Scalar fields of the type, and object fields of theirs two levels down."""
        named = self.types[unwrap(ref)["name"]]
        if named["kind"] not in ("OBJECT", "INTERFACE"):
            return ""
        picked = []
        for field in named["fields"]:
            if any(arg["type"]["kind"] == "NON_NULL" for arg in field["args"]):
                continue
            inner = self.types[unwrap(field["type"])["name"]]
            if inner["kind"] in ("SCALAR", "ENUM"):
                if field["name"] in ("id", "nextCursor") or self.rng.random() < 0.6:
                    picked.append(field["name"])
            elif level < 2 and (self.rng.random() < 0.6 or field["name"] == "items"):
                nested = self.selection(field["type"], level + 1)
                if nested:
                    picked.append(f"{field['name']} {nested}")
        if not picked:
            picked.append("__typename")
        return "{ " + " ".join(picked) + " }"

    def operation(self, root, field, role, pools):
        """One request: the document, its variables, and what it says about the ids."""
        state = {"role": role, "pools": pools, "used": self.used}
        kind = "mutation" if root == self.types.get("Mutation", {}).get("name") else "query"
        arguments = {}
        for arg in field["args"]:
            required = arg["type"]["kind"] == "NON_NULL"
            item = self.value(arg["type"], f"{field['name']}.{arg['name']}", state, required=required)
            if item is not ...:
                arguments[arg["name"]] = (arg, item)
        args = {name: item for name, (arg, item) in arguments.items()}
        # Naming B's rows only through filters reads an empty page, never an error.
        named_text = json.dumps({name: item for name, item in args.items() if name != "filters"})
        direct = any(foreign in named_text for foreign in self.foreign_ids)
        variables = {}
        written = []
        inline = self.rng.random() < INLINE_SHARE
        declared = []
        for name, (arg, item) in arguments.items():
            if inline:
                try:
                    written.append(f"{name}: {literal(item, arg['type'], self.types)}")
                    continue
                except Inline:
                    pass
            variables[name] = item
            declared.append(f"${name}: {type_string(arg['type'])}")
            written.append(f"{name}: ${name}")
        head = kind + (f"({', '.join(declared)})" if declared else "")
        call = field["name"] + (f"({', '.join(written)})" if written else "")
        document = f"{head} {{ {call} {self.selection(field['type'])} }}"
        named = args.get("organizationId", args.get("id") if field["name"] == "organization" else None)
        return {
            "field": f"{root}.{field['name']}",
            "name": field["name"],
            "query": document,
            "variables": variables,
            "arguments": args,
            "names_foreign_row": direct,
            "organization": named if named is not None else self.organization,
        }

    # Judging an answer.

    def judge(self, role, op, status, text, answer):
        """The violations in one answer, and whether the field was reached and served."""
        found = []
        errors = (answer or {}).get("errors") or [] if isinstance(answer, dict) else []
        data = answer.get("data") if isinstance(answer, dict) else None
        value = data.get(op["name"]) if isinstance(data, dict) else None
        mine = [error for error in errors if isinstance(error, dict) and (error.get("path") or [None])[0] == op["name"]]
        general = [error for error in errors if isinstance(error, dict) and not error.get("path")]
        extensions = [error.get("extensions") or {} for error in errors if isinstance(error, dict)]
        failing = [ext for ext in extensions if ext.get("code") == "INTERNAL_SERVER_ERROR"
                   or (isinstance(ext.get("status"), int) and ext["status"] >= 500)]
        if status >= 500 or status == 0 or failing:
            found.append(("server error", f"HTTP {status}" + (f", an error with {json.dumps(failing[0])}"
                                                              if failing else "")))
        graphql_shaped = isinstance(answer, dict) and ("data" in answer or "errors" in answer)
        error_text = json.dumps(errors, ensure_ascii=False) if errors else ("" if graphql_shaped else text)
        data_text = json.dumps(data, ensure_ascii=False) if data is not None else ""
        match = DATABASE_OBJECT.search(error_text) or SQL_ERROR_TEXT.search(error_text) \
            or SQL_ERROR_TEXT.search(data_text)
        if match and not self.echoes(op, match.group(0)):
            found.append(("database name", repr(match.group(0))))
        request_text = json.dumps([op["query"], op["variables"]], ensure_ascii=False)
        for foreign in self.foreign_ids:
            if foreign in data_text or (foreign in error_text and foreign not in request_text):
                found.append(("cross-organization", f"organization B's {self.foreign_name(foreign)} {foreign}"))
        if (op["names_foreign_row"] or op["organization"] == self.foreign.get("organization")) and value is not None:
            found.append(("cross-organization", "a field naming organization B's row answered with data"))
        refused_by_matrix = [
            error for error in mine
            if (error.get("extensions") or {}).get("code") == "FORBIDDEN"
            and str(error.get("message", "")).startswith(MATRIX_REFUSAL)
        ]
        unauthenticated = [ext for ext in extensions if ext.get("code") == "UNAUTHENTICATED"]
        if status == 401 or unauthenticated:
            found.append(("matrix", "a signed-in person was answered as unauthenticated"))
        allowed = all(allows(permission, role) for permission in REQUIRES[op["field"]])
        in_a = op["organization"] == self.organization
        if in_a and allowed and refused_by_matrix:
            found.append(("matrix", f"refused by the matrix, which allows {role} {'+'.join(REQUIRES[op['field']])}"))
        if in_a and not allowed and value is not None:
            found.append(("matrix", f"served, though the matrix refuses {role} {'+'.join(REQUIRES[op['field']])}"))
        ran = value is not None or any((error.get("extensions") or {}).get("code") for error in mine)
        if allowed:
            reached = ran and not refused_by_matrix and not unauthenticated and in_a
        else:
            reached = bool(refused_by_matrix) or (ran and in_a and not unauthenticated)
        if isinstance(value, dict) and isinstance(value.get("nextCursor"), str):
            self.cursors.append(value["nextCursor"])
        return found, reached, value is not None, bool(general) and value is None and not mine

    def echoes(self, op, word):
        """Whether a word the database check matched is the request's own (a value it sent)."""
        return word.lower() in json.dumps([op["query"], op["variables"]], ensure_ascii=False).lower()

    def foreign_name(self, value):
        return next((key for key, item in self.foreign.items() if item == value), "row")

    # A role's run.

    def run(self, role, requests, log):
        token = self.seed["roles"][role]["access_token"]
        node = Node(self.base, token, self.organization)
        pools = self.pools(role, self.prepare(role))
        self.used = {}
        fields = [f"{root}.{field['name']}" for root, field in self.roots]
        stats = {"requests": 0, "invalid": 0, "reached": set(), "served": set(),
                 "server error": 0, "database name": 0, "cross-organization": 0, "matrix": 0}
        violations = []
        order = []
        while len(order) < requests:
            batch = list(self.roots)
            self.rng.shuffle(batch)
            order.extend(batch)
        for root, field in order[:requests]:
            op = self.operation(root, field, role, pools)
            header = self.rng.random() >= 0.03
            status, text, answer = node.ask(op["query"], op["variables"], header=header)
            if not header and op["organization"] == self.organization and "organizationId" not in op["arguments"]:
                # Without the header the caller's only organization is used (or none is
                # named): the matrix is judged only where A was named.
                op["organization"] = None
            found, reached, served, invalid = self.judge(role, op, status, text, answer)
            stats["requests"] += 1
            stats["invalid"] += invalid
            if reached:
                stats["reached"].add(op["field"])
            if served:
                stats["served"].add(op["field"])
            kinds = sorted({kind for kind, _ in found})
            for kind in kinds:
                stats[kind] += 1
            for kind, why in found:
                violations.append({"role": role, "kind": kind, "why": why, "field": op["field"],
                                   "header": header, "query": op["query"], "variables": op["variables"],
                                   "status": status, "answer": text[:1500]})
            if log:
                names_b = op["names_foreign_row"] or op["organization"] == self.foreign.get("organization")
                log.write(json.dumps({"role": role, "field": op["field"], "status": status, "names_b": names_b,
                                      "reached": reached,
                                      "served": served, "invalid": invalid, "violations": kinds,
                                      "errors": [str(error.get("message", ""))[:200]
                                                 for error in (answer or {}).get("errors") or []
                                                 if isinstance(error, dict)] if isinstance(answer, dict) else
                                      [text[:200]]}, ensure_ascii=False) + "\n")
        stats["unreached"] = [field for field in fields if field not in stats["reached"]]
        return stats, violations


def main():
    seed_path, base, *roles = sys.argv[1:]
    roles = roles or ["viewer", "member", "admin", "owner"]
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise Failed(f"no such role: {', '.join(unknown)}")
    random_seed = os.environ.get("FUZZ_RANDOM_SEED") or (
        os.environ.get("FUZZ_SEED") if os.environ.get("FUZZ_SEED", "").isdigit() else None) or "0"
    requests = int(os.environ.get("FUZZ_GRAPHQL_REQUESTS", "1000"))
    with open(seed_path, encoding="utf-8") as file:
        seed = json.load(file)
    rng = random.Random(int(random_seed))
    started = time.time()
    fuzzer = Fuzzer(seed, base, rng)
    total = len(fuzzer.roots)
    queries = sum(1 for root, _ in fuzzer.roots if root == "Query")
    log_path = os.environ.get("FUZZ_GRAPHQL_LOG")
    log = open(log_path, "a", encoding="utf-8") if log_path else None
    results = {}
    violations = []
    try:
        for role in roles:
            results[role], found = fuzzer.run(role, requests, log)
            violations += found
    finally:
        if log:
            log.close()
    print(f"==> GraphQL fuzzing, per role: {total} fields ({queries} queries, {total - queries} mutations), "
          f"random seed {random_seed}")
    print(f"    {'role':<7} {'reached':>9} {'served':>9} {'requests':>9} {'invalid':>8} {'5xx':>5} "
          f"{'db names':>9} {'cross-org':>10} {'matrix':>7}")
    failed = False
    for role, stats in results.items():
        print(f"    {role:<7} {len(stats['reached']):>4}/{total:<4} {len(stats['served']):>4}/{total:<4} "
              f"{stats['requests']:>9} {stats['invalid']:>8} {stats['server error']:>5} "
              f"{stats['database name']:>9} {stats['cross-organization']:>10} {stats['matrix']:>7}")
    for role, stats in results.items():
        if stats["unreached"]:
            failed = True
            print(f"    {role}: {len(stats['unreached'])} fields never reached: {', '.join(stats['unreached'])}")
    if violations:
        failed = True
        shown = {}
        print(f"    {len(violations)} violations (the first three of each kind, field and role):")
        for violation in violations:
            key = (violation["kind"], violation["field"], violation["role"])
            shown[key] = shown.get(key, 0) + 1
            if shown[key] > 3:
                continue
            print(f"    - {violation['kind']}: {violation['why']} ({violation['field']} as {violation['role']}"
                  f"{'' if violation['header'] else ', no X-Organization-Id'})")
            request = {"query": violation["query"], "variables": violation["variables"]}
            print(f"      request: {json.dumps(request, ensure_ascii=False)[:1500]}")
            print(f"      answer:  HTTP {violation['status']} {violation['answer']}")
    sent = sum(stats["requests"] for stats in results.values())
    print(f"==> GraphQL: {sent} requests in {time.time() - started:.0f}s, {len(violations)} violations: "
          f"{'FAILED' if failed else 'passed'}")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failed as error:
        print(f"GraphQL fuzzing could not run: {error}", file=sys.stderr)
        sys.exit(1)
