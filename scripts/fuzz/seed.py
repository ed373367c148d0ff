"""Seeds a fresh node, through its public API only, with what the fuzzer acts on, and
writes the ids and each role's sessions as JSON.

- Organization A ("Acme"): its owner (the node's first account) invites an admin, a
  member and a viewer by e-mail; each reads the link in the mailbox (the node sends
  its mail to `mailbox.py`) and registers with it. Every service is connected with a
  known webhook secret, the services' signed deliveries (the vendors' own example
  payloads) are fed to the webhook entry, so repositories, pull requests, deployments
  and Figma files arrive the way they do in production; Figma is synced from its
  stand-in (`figma.py`), which brings the design components; an agent of every type runs;
  tasks are in every state the API can bring them to; social accounts, posts and
  schedules exist.
- Organization B ("Foreign"): another person's, with rows of its own. Nobody of A
  belongs to it: its ids must be 404 to A's members.
- For each role, rows of its own that its fuzzing run may consume (an agent to delete,
  tasks to approve, reject, cancel and retry, posts to edit, delete and publish,
  schedules, members whose role to change or to remove, invitations to revoke or send
  again), so that one role's run leaves the next one's targets intact.

Usage: python3 seed.py <base url> <mailbox file> <fixtures dir> <output json>
"""

import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from figma import TEAM_ID as FIGMA_TEAM, TOKEN as FIGMA_TOKEN
from matrix import ROLES

PASSWORD = "correct horse battery staple"
SERVICES = ("github", "vercel", "figma", "slack", "twitter", "linkedin")


class Failed(Exception):
    pass


class Api:
    def __init__(self, base: str):
        self.base = base.rstrip("/")

    def call(self, method, path, body=None, token=None, org=None, expect=None, headers=None, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None and raw is None:
            request.add_header("content-type", "application/json")
        if token:
            request.add_header("authorization", f"Bearer {token}")
        if org:
            request.add_header("x-organization-id", org)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        try:
            answer = json.loads(text) if text else None
        except ValueError:
            answer = text
        if expect is not None and status not in ((expect,) if isinstance(expect, int) else expect):
            raise Failed(f"{method} {path}: {status} {text[:400]}")
        return status, answer


class Seeder:
    def __init__(self, base, mailbox, fixtures):
        self.api = Api(base)
        self.mailbox = mailbox
        self.fixtures = fixtures
        self.notes = []
        self.out = {"base": base, "roles": {}, "ids": {}, "foreign": {}, "webhook_tokens": {}}

    def note(self, text):
        self.notes.append(text)
        print(f"    seed: {text}", file=sys.stderr)

    # People and sessions.

    def login(self, email):
        _, session = self.api.call("POST", "/api/auth/login", {"email": email, "password": PASSWORD}, expect=200)
        return session

    def mailed_token(self, email, after):
        """The token of the newest invitation link mailed to `email` after line `after`."""
        deadline = time.time() + 15
        while time.time() < deadline:
            if os.path.exists(self.mailbox):
                with open(self.mailbox, encoding="utf-8") as lines:
                    messages = [json.loads(line) for line in lines][after:]
                for message in reversed(messages):
                    if email in message["to"]:
                        for link in message["links"]:
                            query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
                            if "accept-invitation" in link and "token" in query:
                                return query["token"][0]
            time.sleep(0.1)
        raise Failed(f"no invitation reached {email}'s mailbox")

    def mail_count(self):
        if not os.path.exists(self.mailbox):
            return 0
        with open(self.mailbox, encoding="utf-8") as lines:
            return sum(1 for _ in lines)

    def invite(self, org, token, email, role):
        _, invitation = self.api.call(
            "POST", f"/api/organizations/{org}/members", {"email": email, "role": role}, token=token, expect=201
        )
        return invitation

    def join(self, org, inviter, email, name, role):
        """Invites `email` with `role`, reads the mail and registers with its link."""
        before = self.mail_count()
        self.invite(org, inviter, email, role)
        token = self.mailed_token(email, before)
        _, session = self.api.call(
            "POST",
            "/api/auth/register",
            {"email": email, "name": name, "password": PASSWORD, "invitation_token": token},
            expect=201,
        )
        return session

    # Organization A and its people.

    def people(self):
        _, owner = self.api.call(
            "POST",
            "/api/auth/register",
            {"email": "owner@acme.example", "name": "Olive Owner", "password": PASSWORD, "organization": "Acme"},
            expect=201,
        )
        org = owner["organization"]["id"]
        self.org = org
        self.out["organization"] = org
        self.tokens = {"owner": owner["access_token"]}
        users = {"owner": owner["user"]["id"]}
        for role in ROLES[1:]:
            session = self.join(org, self.tokens["owner"], f"{role}@acme.example", f"{role.title()} Person", role)
            self.tokens[role] = session["access_token"]
            users[role] = session["user"]["id"]
        _, members = self.api.call("GET", f"/api/organizations/{org}/members", token=self.tokens["viewer"], expect=200)
        for role in ROLES:
            self.out["roles"][role] = {
                "email": f"{role}@acme.example",
                "user_id": users[role],
                "access_token": self.tokens[role],
                "targets": {},
            }
        # Sessions the run may end or rotate without touching the one it runs with.
        for role in ROLES:
            entry = self.out["roles"][role]
            entry["spare_access_token"] = self.login(entry["email"])["access_token"]
            entry["refresh_token"] = self.login(entry["email"])["refresh_token"]
        roles = {item.get("user_id") or item.get("id"): item.get("role") for item in members.get("items", members)}
        for role in ROLES:
            if roles.get(users[role]) != role:
                raise Failed(f"{role}@acme.example is {roles.get(users[role])!r} in Acme, not {role}")

    def owner(self, method, path, body=None, expect=None):
        return self.api.call(method, path, body, token=self.tokens["owner"], org=self.org, expect=expect)

    def as_role(self, role, method, path, body=None, expect=None):
        return self.api.call(method, path, body, token=self.tokens[role], org=self.org, expect=expect)

    # Integrations and what their webhooks bring.

    def integrations(self):
        secrets = {}
        for service in SERVICES:
            secret = f"fuzz-{service}-webhook-secret"
            metadata = {"account": f"acme-{service}"}
            if service == "figma":
                # The stand-in's account: its token, and the team whose library the sync reads.
                metadata["team_id"] = FIGMA_TEAM
            status, answer = self.owner(
                "POST",
                f"/api/integrations/{service}/connect",
                {
                    "credentials": {"token": FIGMA_TOKEN if service == "figma" else f"stand-in-{service}-token",
                                    "access_token": f"stand-in-{service}"},
                    "webhook_secret": secret,
                    "metadata": metadata,
                },
            )
            if status != 201:
                self.note(f"{service} not connected: {status} {answer}")
                continue
            url = (answer.get("integration") or {}).get("webhook_url")
            if not url:
                _, read = self.owner("GET", f"/api/integrations/{service}", expect=200)
                url = read.get("webhook_url")
            token = urllib.parse.parse_qs(urllib.parse.urlsplit(url or "").query).get("token", [None])[0]
            if token:
                self.out["webhook_tokens"][service] = token
                secrets[service] = secret
            else:
                self.note(f"{service}: no webhook_url in {answer}")
        self.out["ids"]["services"] = sorted(secrets)
        return secrets

    def fixture(self, *parts):
        path = os.path.join(self.fixtures, *parts)
        if not os.path.exists(path):
            return None
        with open(path, "rb") as payload:
            return payload.read()

    def deliver(self, service, body, headers, secret):
        token = self.out["webhook_tokens"].get(service)
        if not token or body is None:
            return None
        path = f"/api/webhooks/{service}/receive?token={token}"
        headers = {"content-type": "application/json", **headers}
        if service == "github":
            digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            headers["x-hub-signature-256"] = f"sha256={digest}"
            headers.setdefault("x-github-delivery", str(uuid.uuid4()))
        elif service == "vercel":
            headers["x-vercel-signature"] = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
        status, answer = self.api.call("POST", path, raw=body, headers=headers)
        if status not in (200, 202):
            self.note(f"{service} delivery {headers.get('x-github-event', '')} refused: {status} {answer}")
        return status

    def webhooks(self, secrets):
        github = secrets.get("github")
        if github:
            for event, name in (
                ("ping", "payload.json"),
                ("push", "payload.json"),
                ("pull_request", "opened.payload.json"),
                ("pull_request", "synchronize.payload.json"),
                ("pull_request", "closed.payload.json"),
                ("pull_request", "review_requested.payload.json"),
                ("pull_request", "opened.with-organization.payload.json"),
                ("pull_request_review", "submitted.payload.json"),
                ("deployment", "payload.json"),
                ("deployment_status", "payload.json"),
                ("check_run", "completed.payload.json"),
                ("workflow_run", "completed.payload.json"),
                ("issues", "opened.payload.json"),
                ("release", "published.payload.json"),
            ):
                self.deliver("github", self.fixture("github", event, name), {"x-github-event": event}, github)
        vercel = secrets.get("vercel")
        if vercel:
            for name in ("deployment.created.json", "deployment.succeeded.json", "deployment.error.json",
                         "deployment.canceled.json"):
                self.deliver("vercel", self.fixture("vercel", name), {}, vercel)
        figma = secrets.get("figma")
        if figma:
            for name in ("FILE_UPDATE.docs.json", "FILE_VERSION_UPDATE.docs.json", "LIBRARY_PUBLISH.docs.json",
                         "FILE_COMMENT.docs.json"):
                body = self.fixture("figma", name)
                if body is None:
                    continue
                payload = json.loads(body)
                payload["passcode"] = figma
                self.deliver("figma", json.dumps(payload).encode(), {}, figma)

    def rows(self, path, key, wait=10.0):
        """Ids of the rows `GET path` lists, waiting for at least one for `wait` seconds."""
        deadline = time.time() + wait
        while True:
            status, page = self.owner("GET", path)
            items = page.get("items", []) if status == 200 and isinstance(page, dict) else []
            if items or time.time() >= deadline:
                ids = [item["id"] for item in items if "id" in item]
                self.out["ids"][key] = ids
                if not ids:
                    self.note(f"no rows at {path}")
                return ids
            time.sleep(0.3)

    def design_components(self, seconds=30.0):
        """Design components come from Figma's API alone: a sync of the integration
        (performed by the Figma watcher) reads the team's library and each file from the
        stand-in, and writes a task per file that brings its components."""
        if "figma" not in self.out["webhook_tokens"]:
            raise Failed("Figma is not connected: no design components without its sync")
        _, sync = self.owner("POST", "/api/integrations/figma/sync", expect=202)
        deadline = time.time() + seconds
        pending = [sync["id"]]
        done = {}
        while pending and time.time() < deadline:
            for task in list(pending):
                _, row = self.owner("GET", f"/api/agent-tasks/{task}", expect=200)
                if row["status"] in ("completed", "failed", "cancelled", "rejected"):
                    pending.remove(task)
                    done[task] = row
                    pending.extend((row.get("output_data") or {}).get("follow_up_tasks", []))
            time.sleep(0.2)
        _, page = self.owner("GET", "/api/design-components", expect=200)
        ids = [item["id"] for item in page.get("items", [])]
        self.out["ids"]["design_components"] = ids
        if not ids:
            outcomes = "; ".join(
                f"{row['task_type']} {row['status']}{': ' + row['error_message'] if row.get('error_message') else ''}"
                for row in done.values()
            ) or "none finished"
            waiting = f", {len(pending)} still running after {seconds:.0f}s" if pending else ""
            raise Failed(f"the Figma sync brought no design components (tasks: {outcomes}{waiting})")
        return ids

    # Agents and tasks.

    def agents(self):
        _, types = self.owner("GET", "/api/agents/types", expect=200)
        self.types = {item["type"]: item for item in types["items"]}
        agents = {}
        _, existing = self.owner("GET", "/api/agents?limit=100", expect=200)
        for agent in existing["items"]:
            agents.setdefault(agent["agent_type"], agent["id"])
        for name in self.types:
            status, agent = self.owner("POST", "/api/agents", {"name": f"{name} agent", "type": name})
            if status == 201:
                agents[name] = agent["id"]
            elif name not in agents:
                self.note(f"no agent of type {name}: {status} {agent}")
        self.out["ids"]["agents"] = sorted(set(agents.values()))
        # The task types each agent performs (its type's capabilities).
        self.out["ids"]["agent_task_types"] = {
            agent: self.types[name]["capabilities"] for name, agent in agents.items() if name in self.types
        }
        self.out["ids"]["agent_types"] = sorted(self.types)
        self.agent_by_type = agents
        if "text_stats" not in agents:
            raise Failed("the text_stats agent is needed to bring tasks to their states")
        self.counter = agents["text_stats"]

    def task(self, role="owner", text="a b c", approval=False, **extra):
        body = {"agent_id": self.counter, "task_type": "count_text", "input": {"text": text},
                "requires_approval": approval, **extra}
        _, task = self.as_role(role, "POST", "/api/agent-tasks", body, expect=201)
        return task["id"]

    def wait_status(self, task, wanted, seconds=15.0):
        deadline = time.time() + seconds
        status = None
        while time.time() < deadline:
            _, row = self.owner("GET", f"/api/agent-tasks/{task}", expect=200)
            status = row["status"]
            if status in wanted:
                return status
            time.sleep(0.2)
        self.note(f"task {task} stayed {status}, not {'/'.join(wanted)}")
        return status

    def failed_task(self, role="owner"):
        """A task that fails for good: input its type refuses, one attempt."""
        body = {"agent_id": self.counter, "task_type": "count_text", "input": {"words": 3}, "max_attempts": 1}
        _, task = self.as_role(role, "POST", "/api/agent-tasks", body, expect=201)
        self.wait_status(task["id"], ("failed",))
        return task["id"]

    def tasks(self):
        states = {}
        completed = self.task()
        states["completed"] = completed
        states["needs_approval"] = self.task(approval=True)
        cancelled = self.task(approval=True)
        self.owner("POST", f"/api/agent-tasks/{cancelled}/cancel", expect=200)
        states["cancelled"] = cancelled
        rejected = self.task(approval=True)
        self.as_role("admin", "POST", f"/api/agent-tasks/{rejected}/reject", {"reason": "not now"}, expect=200)
        states["rejected"] = rejected
        approved = self.task(approval=True)
        self.as_role("admin", "POST", f"/api/agent-tasks/{approved}/approve", expect=200)
        states["approved"] = approved
        states["failed"] = self.failed_task()
        # Pending: a task for an agent that is disabled waits for it.
        _, parked = self.owner("POST", "/api/agents", {"name": "parked counter", "type": "text_stats"}, expect=201)
        self.owner("POST", f"/api/agents/{parked['id']}/disable", expect=200)
        _, pending = self.owner(
            "POST", "/api/agent-tasks",
            {"agent_id": parked["id"], "task_type": "count_text", "input": {"text": "x"}}, expect=201,
        )
        states["pending"] = pending["id"]
        self.wait_status(completed, ("completed",))
        self.wait_status(approved, ("completed", "in_progress"))
        # Work asked of the integrations' agents: reviews, syncs, rollbacks.
        for path in ("/api/integrations/github/sync", "/api/integrations/vercel/sync"):
            status, answer = self.owner("POST", path)
            if status == 202:
                states.setdefault("sync", answer["id"])
        for pull in self.out["ids"].get("pull_requests", [])[:1]:
            status, answer = self.owner("POST", f"/api/pull-requests/{pull}/agent-review")
            if status == 202:
                states["review"] = answer["id"]
        for deployment in self.out["ids"].get("deployments", [])[:1]:
            status, answer = self.owner("POST", f"/api/deployments/{deployment}/rollback")
            if status == 202:
                states["rollback"] = answer["id"]
        _, listed = self.owner("GET", "/api/agent-tasks?limit=100", expect=200)
        seen = {}
        for row in listed["items"]:
            seen.setdefault(row["status"], row["id"])
        self.out["ids"]["task_states"] = sorted(seen)
        self.out["ids"]["tasks"] = sorted({*states.values(), *seen.values()})
        self.out["ids"]["tasks_by_state"] = states

    # Social accounts, posts and schedules.

    def social(self):
        accounts = []
        for platform in ("twitter", "linkedin"):
            status, account = self.owner(
                "POST", f"/api/social/accounts/{platform}/connect",
                {"account_id": f"acme-{platform}", "handle": f"@acme_{platform}", "display_name": "Acme",
                 "avatar_url": "https://example.com/acme.png", "credentials": {"access_token": "stand-in"}},
            )
            if status == 201:
                accounts.append(account["id"])
            else:
                self.note(f"{platform} account not connected: {status} {account}")
        self.out["ids"]["social_accounts"] = accounts
        self.account = accounts[0] if accounts else None
        posts = []
        if self.account:
            posts.append(self.post("A draft"))
            scheduled = self.post("Scheduled for next week", scheduled_for="2099-01-01T09:00:00Z")
            self.owner("PATCH", f"/api/social/posts/{scheduled}", {"status": "scheduled"})
            posts.append(scheduled)
            published = self.post("To be published")
            self.owner("POST", f"/api/social/posts/{published}/publish")
            posts.append(published)
        self.out["ids"]["social_posts"] = posts

    def post(self, content, role="owner", **extra):
        _, post = self.as_role(
            role, "POST", "/api/social/posts", {"social_account_id": self.account, "content": content, **extra},
            expect=201,
        )
        return post["id"]

    def schedule(self, name, role="owner"):
        _, schedule = self.as_role(
            role, "POST", "/api/schedules",
            {"name": name, "agent_id": self.counter, "task_type": "count_text", "cron_expression": "0 9 * * 1-5",
             "input_data": {"text": "weekly words"}, "priority": 3},
            expect=201,
        )
        return schedule["id"]

    # Rows each role's run may consume.

    def targets(self):
        for role in ROLES:
            mine = self.out["roles"][role]["targets"]
            # Someone other than the role asks, so that the role may decide.
            asker = "admin" if role == "owner" else "owner"
            _, agent = self.owner("POST", "/api/agents", {"name": f"{role}'s counter", "type": "text_stats"},
                                  expect=201)
            mine["agent"] = agent["id"]
            _, doomed = self.owner("POST", "/api/agents", {"name": f"{role}'s doomed counter", "type": "text_stats"},
                                   expect=201)
            mine["agent_to_delete"] = doomed["id"]
            mine["task_to_approve"] = self.task(asker, approval=True)
            mine["task_to_reject"] = self.task(asker, approval=True)
            mine["task_to_cancel"] = self.task(asker, approval=True)
            mine["task_to_retry"] = self.failed_task(asker)
            if self.account:
                mine["post_to_edit"] = self.post(f"{role}'s draft to edit")
                mine["post_to_delete"] = self.post(f"{role}'s draft to delete")
                mine["post_to_publish"] = self.post(f"{role}'s draft to publish")
            mine["schedule_to_edit"] = self.schedule(f"{role}'s schedule to edit")
            mine["schedule_to_delete"] = self.schedule(f"{role}'s schedule to delete")
            for purpose, role_now in (("member_to_change", "member"), ("member_to_remove", "viewer")):
                email = f"{purpose.replace('_', '-')}.{role}@acme.example"
                session = self.join(self.org, self.tokens["owner"], email, f"{purpose} {role}", role_now)
                mine[purpose] = session["user"]["id"]
            for purpose in ("invitation_to_revoke", "invitation_to_resend"):
                email = f"{purpose.replace('_', '-')}.{role}@elsewhere.example"
                mine[purpose] = self.invite(self.org, self.tokens["owner"], email, "member")["id"]
            # The service whose connection the role's run may replace or remove.
            mine["service"] = {"owner": "linkedin", "admin": "slack"}.get(role, "github")
        # A live invitation whose link nobody follows: its token lets the fuzzer preview
        # invitations and try to accept one sent to someone else.
        before = self.mail_count()
        self.invite(self.org, self.tokens["owner"], "unanswered@elsewhere.example", "viewer")
        self.out["ids"]["invitation_token"] = self.mailed_token("unanswered@elsewhere.example", before)
        self.out["ids"]["invitation_email"] = "unanswered@elsewhere.example"
        _, scratch = self.owner("POST", "/api/organizations", {"name": "Scratch"}, expect=201)
        self.out["roles"]["owner"]["targets"]["organization_to_delete"] = scratch["id"]

    # Organization B.

    def foreign(self):
        """Another person's organization: they join A to be able to sign up, start
        their own, and leave A."""
        email = "outsider@foreign.example"
        session = self.join(self.org, self.tokens["owner"], email, "Oscar Outsider", "viewer")
        token = session["access_token"]
        _, org_b = self.api.call("POST", "/api/organizations", {"name": "Foreign"}, token=token, expect=201)
        b = org_b["id"]
        self.api.call("DELETE", f"/api/organizations/{self.org}/members/{session['user']['id']}", token=token,
                      expect=204)

        def call(method, path, body=None, expect=None):
            return self.api.call(method, path, body, token=token, org=b, expect=expect)

        foreign = {"organization": b, "user_id": session["user"]["id"]}
        _, agent = call("POST", "/api/agents", {"name": "foreign counter", "type": "text_stats"}, expect=201)
        foreign["agent"] = agent["id"]
        _, task = call("POST", "/api/agent-tasks", {"agent_id": agent["id"], "task_type": "count_text",
                                                     "input": {"text": "x"}, "requires_approval": True}, expect=201)
        foreign["task"] = task["id"]
        status, account = call("POST", "/api/social/accounts/twitter/connect",
                               {"account_id": "foreign", "handle": "@foreign", "credentials": {"token": "x"}})
        if status == 201:
            foreign["social_account"] = account["id"]
            _, post = call("POST", "/api/social/posts", {"social_account_id": account["id"], "content": "theirs"},
                           expect=201)
            foreign["social_post"] = post["id"]
        _, schedule = call("POST", "/api/schedules", {"name": "theirs", "agent_id": agent["id"],
                                                      "task_type": "count_text", "cron_expression": "0 * * * *"},
                           expect=201)
        foreign["schedule"] = schedule["id"]
        _, invitation = call("POST", f"/api/organizations/{b}/members", {"email": "x@foreign.example",
                                                                         "role": "member"}, expect=201)
        foreign["invitation"] = invitation["id"]
        self.out["foreign"] = foreign

    def run(self):
        self.people()
        secrets = self.integrations()
        self.webhooks(secrets)
        self.rows("/api/repositories", "repositories")
        self.rows("/api/pull-requests", "pull_requests")
        self.rows("/api/deployments", "deployments")
        self.rows("/api/figma/files", "figma_files", wait=3)
        self.design_components()
        self.rows("/api/figma/files", "figma_files", wait=0)
        self.agents()
        self.tasks()
        self.social()
        self.out["ids"]["schedules"] = [self.schedule("Weekday words")]
        self.targets()
        self.foreign()
        self.out["notes"] = self.notes
        return self.out


def main():
    base, mailbox, fixtures, output = sys.argv[1:5]
    started = time.time()
    seeded = Seeder(base, mailbox, fixtures).run()
    with open(output, "w", encoding="utf-8") as out:
        json.dump(seeded, out, indent=2)
    ids = seeded["ids"]
    print(
        f"==> seeded in {time.time() - started:.0f}s: {len(seeded['roles'])} roles, "
        f"{len(ids.get('agents', []))} agents ({len(ids.get('agent_types', []))} types), "
        f"tasks in states {', '.join(ids.get('task_states', []))}, "
        f"{len(ids.get('repositories', []))} repositories, {len(ids.get('pull_requests', []))} pull requests, "
        f"{len(ids.get('deployments', []))} deployments, {len(ids.get('figma_files', []))} Figma files "
        f"({len(ids.get('design_components', []))} design components), "
        f"{len(ids.get('social_posts', []))} posts; a foreign organization"
    )


if __name__ == "__main__":
    try:
        main()
    except Failed as error:
        print(f"seeding failed: {error}", file=sys.stderr)
        sys.exit(1)
