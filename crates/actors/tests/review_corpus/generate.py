#!/usr/bin/env python3
"""Generates the review corpus: synthetic pull requests for the `review` engine's
corpus test (`crates/actors/tests/review_corpus.rs`).

Each pull request is one JSON file:

    {"name": ..., "description": ...,
     "files": [ChangedFile, ...],                       # path, status, additions, deletions, patch
     "expected_secrets": [{"path", "line", "rule"}],    # planted secrets the engine must find
     "negatives": [{"path", "line", "reason"}]}         # look-alikes it must not flag

Three kinds: `positive-*` plant one or more secrets (every secret rule has several, in
config files, source, YAML, .env and JSON); `negative-*` hold look-alikes that must not
be flagged (placeholders, documentation examples, hashes, UUIDs, test fixtures,
environment lookups, lockfiles); `clean-*` are ordinary changes across languages.

Every secret here is random and synthetic: well-shaped, never valid. The output is
deterministic: run `python3 generate.py` from this directory and the same files come out.
`--seed N --output DIR` writes a differently drawn corpus elsewhere (for a held-out check).
"""

import argparse
import base64
import difflib
import json
import os
import random
import string
import uuid

DEFAULT_OUTPUT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SEED = 20241128
RANDOM = random.Random(DEFAULT_SEED)

ALPHANUMERIC = string.ascii_letters + string.digits
UPPER_ALPHANUMERIC = string.ascii_uppercase + string.digits
BASE32_UPPER = string.ascii_uppercase + "234567"
HEX = "0123456789abcdef"
URL_SAFE = ALPHANUMERIC + "-_"

# Substrings that mark a value as a placeholder (kept in step with the engine's list),
# so that random values never contain one by chance.
PLACEHOLDER_WORDS = [
    "xxxx", "example", "dummy", "fake", "sample", "placeholder", "changeme", "replace",
    "your", "redacted", "insert", "test", "mock", "todo", "fixme", "none", "null",
    "undefined", "****", "....", "<", ">", "${", "{{", "}}", "%(", "%s", "{}", "{0}",
]


def has_placeholder_run(value):
    same = ascending = descending = 1
    for previous, current in zip(value, value[1:]):
        both = previous.isalnum() and current.isalnum()
        same = same + 1 if current == previous else 1
        ascending = ascending + 1 if both and ord(current) == ord(previous) + 1 else 1
        descending = descending + 1 if both and ord(current) + 1 == ord(previous) else 1
        if max(same, ascending, descending) >= 6:
            return True
    return False


def random_text(alphabet, length, need_digit=False):
    while True:
        value = "".join(RANDOM.choice(alphabet) for _ in range(length))
        lower = value.lower()
        if has_placeholder_run(value) or any(word in lower for word in PLACEHOLDER_WORDS):
            continue
        if need_digit and not any(character.isdigit() for character in value):
            continue
        if not value[0].isalnum() or value[-1] in "-_":
            continue
        return value


def digits(length):
    return str(RANDOM.randint(1, 9)) + random_text(string.digits, length - 1)


def hex_text(length):
    return random_text(HEX, length)


def base64_text(byte_count):
    return base64.b64encode(bytes(RANDOM.getrandbits(8) for _ in range(byte_count))).decode()


def base64_url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def random_uuid():
    return str(uuid.UUID(int=RANDOM.getrandbits(128), version=4))


def pick(options):
    return RANDOM.choice(options)


# --- secret makers ------------------------------------------------------------------

def make_secret(rule):
    if rule == "aws-access-key-id":
        return "AKIA" + random_text(BASE32_UPPER, 16)
    if rule == "aws-secret-access-key":
        return random_text(ALPHANUMERIC + "/+", 40, need_digit=True)
    if rule == "github-pat":
        return "ghp_" + random_text(ALPHANUMERIC, 36)
    if rule == "github-fine-grained-pat":
        return "github_pat_" + random_text(ALPHANUMERIC, 22) + "_" + random_text(ALPHANUMERIC, 59)
    if rule == "github-oauth-token":
        return "gho_" + random_text(ALPHANUMERIC, 36)
    if rule == "github-app-token":
        return pick(["ghu_", "ghs_"]) + random_text(ALPHANUMERIC, 36)
    if rule == "github-refresh-token":
        return "ghr_" + random_text(ALPHANUMERIC, 76)
    if rule == "gitlab-pat":
        return "glpat-" + random_text(URL_SAFE, 20)
    if rule == "gitlab-token":
        return pick(["glptt-" + hex_text(40), "glrt-" + random_text(URL_SAFE, 20)])
    if rule == "slack-bot-token":
        return "xoxb-%s-%s-%s" % (digits(11), digits(13), random_text(ALPHANUMERIC, 24))
    if rule == "slack-user-token":
        return "xoxp-%s-%s-%s-%s" % (digits(12), digits(12), digits(13), hex_text(32))
    if rule == "slack-app-token":
        return "xapp-1-A%s-%s-%s" % (random_text(UPPER_ALPHANUMERIC, 10), digits(13), hex_text(64))
    if rule == "slack-webhook-url":
        return "https://hooks.slack.com/services/T%s/B%s/%s" % (
            random_text(UPPER_ALPHANUMERIC, 8), random_text(UPPER_ALPHANUMERIC, 10),
            random_text(ALPHANUMERIC, 24))
    if rule == "stripe-live-secret-key":
        return "sk_live_" + random_text(ALPHANUMERIC, pick([24, 34, 99]))
    if rule == "stripe-restricted-key":
        return "rk_live_" + random_text(ALPHANUMERIC, pick([24, 34, 99]))
    if rule == "google-api-key":
        return "AIza" + random_text(URL_SAFE, 35)
    if rule == "twilio-api-key":
        return "SK" + hex_text(32)
    if rule == "twilio-auth-token":
        return hex_text(32)
    if rule == "sendgrid-api-key":
        return "SG." + random_text(URL_SAFE, 22) + "." + random_text(URL_SAFE, 43)
    if rule == "npm-access-token":
        return "npm_" + random_text(ALPHANUMERIC, 36)
    if rule == "pypi-upload-token":
        return "pypi-AgEIcHlwaS5vcmc" + random_text(URL_SAFE, 150)
    if rule == "jwt":
        header = base64_url(json.dumps({"alg": pick(["HS256", "RS256"]), "typ": "JWT"},
                                       separators=(",", ":")).encode())
        payload = base64_url(json.dumps({"sub": random_uuid(), "scope": pick(["billing:write", "admin", "reports:read"]),
                                         "iat": RANDOM.randint(1700000000, 1760000000)},
                                        separators=(",", ":")).encode())
        signature = base64_url(bytes(RANDOM.getrandbits(8) for _ in range(32)))
        return "%s.%s.%s" % (header, payload, signature)
    if rule in ("generic-secret", "authorization-bearer-token"):
        return random_text(ALPHANUMERIC, pick([24, 32, 40]), need_digit=True)
    if rule == "generic-password":
        return random_text(ALPHANUMERIC + "!#^*", pick([14, 18, 22]), need_digit=True)
    if rule == "url-password":
        return random_text(ALPHANUMERIC, pick([16, 20, 24]), need_digit=True)
    raise ValueError(rule)


def pem_block(kind="RSA PRIVATE KEY", lines=12):
    body = base64_text(48 * lines)
    return ["-----BEGIN %s-----" % kind] + [body[i:i + 64] for i in range(0, len(body), 64)] + ["-----END %s-----" % kind]


# --- patches ----------------------------------------------------------------------

class Marked(str):
    """A line of a new file that the corpus records: a planted secret or a negative."""

    def __new__(cls, text, secret_rule=None, negative_reason=None):
        line = str.__new__(cls, text)
        line.secret_rule = secret_rule
        line.negative_reason = negative_reason
        return line

    def _with_text(self, text):
        return Marked(text, secret_rule=self.secret_rule, negative_reason=self.negative_reason)

    def __add__(self, other):
        return self._with_text(str(self) + str(other))

    def __radd__(self, other):
        return self._with_text(str(other) + str(self))


def secret(text, rule):
    return Marked(text, secret_rule=rule)


def negative(text, reason):
    return Marked(text, negative_reason=reason)


def unified_patch(before, after):
    lines = list(difflib.unified_diff([str(line) for line in before], [str(line) for line in after],
                                      lineterm="", n=3))
    return "\n".join(lines[2:])


def changed_file(path, after, before=None, status=None, previous_path=None):
    """A ChangedFile dict plus the marked lines' numbers in the new file."""
    before = before or []
    patch = unified_patch(before, after)
    additions = sum(1 for line in patch.split("\n") if line.startswith("+"))
    deletions = sum(1 for line in patch.split("\n") if line.startswith("-"))
    if status is None:
        status = "added" if not before else "modified"
    marks = [(index + 1, line) for index, line in enumerate(after) if isinstance(line, Marked)]
    record = {
        "path": path,
        "previous_path": previous_path,
        "status": status,
        "additions": additions,
        "deletions": deletions,
        "patch": patch,
    }
    return record, marks


def pull_request(name, description, file_specifications):
    files, expected, negatives = [], [], []
    for specification in file_specifications:
        record, marks = changed_file(**specification)
        files.append(record)
        for line_number, line in marks:
            if line.secret_rule:
                expected.append({"path": record["path"], "line": line_number, "rule": line.secret_rule})
            if line.negative_reason:
                negatives.append({"path": record["path"], "line": line_number, "reason": line.negative_reason})
    return {"name": name, "description": description, "files": files,
            "expected_secrets": expected, "negatives": negatives}


# --- vocabulary -----------------------------------------------------------------------

SERVICES = ["billing", "invoicing", "notifications", "search", "ledger", "catalog", "shipping",
            "identity", "reporting", "scheduler", "payments", "inventory", "analytics", "support"]
ENTITIES = ["invoice", "customer", "order", "shipment", "ticket", "project", "report",
            "subscription", "payment", "team", "webhook", "notification", "article", "comment",
            "product", "warehouse", "employee", "deployment", "refund", "contract"]
FIELDS = [("name", "String", "str", "string"), ("email", "String", "str", "string"),
          ("status", "String", "str", "string"), ("amount_cents", "i64", "int", "number"),
          ("currency", "String", "str", "string"), ("due_date", "NaiveDate", "date", "string"),
          ("title", "String", "str", "string"), ("priority", "i32", "int", "number"),
          ("owner_id", "Uuid", "UUID", "string"), ("region", "String", "str", "string"),
          ("quantity", "i32", "int", "number"), ("archived", "bool", "bool", "boolean")]
HOSTS = ["db.internal.acme-corp.net", "pg-main.eu-west-1.rds.amazonaws.com", "mysql.prod.svc.cluster.local",
         "redis-primary.cache.acme-corp.net", "mq.acme-corp.net"]


def camel(name):
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def pascal(name):
    return "".join(part.title() for part in name.split("_"))


def fields_for():
    count = RANDOM.randint(2, 5)
    return RANDOM.sample(FIELDS, count)


# --- host files: realistic surroundings for one interesting line ---------------------

def python_settings(service, interesting):
    return [
        '"""Settings for the %s service."""' % service,
        "import os",
        "",
        "DEBUG = os.environ.get(\"DEBUG\", \"0\") == \"1\"",
        "ALLOWED_HOSTS = [\"%s.internal\", \"localhost\"]" % service,
        "DATABASE_URL = os.environ[\"DATABASE_URL\"]",
        "",
        *interesting,
        "",
        "LOG_LEVEL = os.environ.get(\"LOG_LEVEL\", \"info\")",
        "REQUEST_TIMEOUT_SECONDS = 30",
    ]


def env_file(service, interesting):
    return [
        "# %s service" % service,
        "APP_ENV=production",
        "PORT=%d" % RANDOM.choice([3000, 8000, 8080]),
        "LOG_LEVEL=info",
        *interesting,
        "FEATURE_NEW_CHECKOUT=true",
    ]


def yaml_config(service, section, interesting):
    return [
        "service: %s" % service,
        "environment: production",
        "http:",
        "  port: 8080",
        "  read_timeout: 15s",
        "%s:" % section,
        *["  " + line for line in interesting],
        "logging:",
        "  level: info",
        "  format: json",
    ]


def github_workflow(job, interesting):
    return [
        "name: %s" % job,
        "on:",
        "  push:",
        "    branches: [main]",
        "jobs:",
        "  %s:" % job.lower().replace(" ", "-"),
        "    runs-on: ubuntu-latest",
        "    env:",
        *["      " + line for line in interesting],
        "    steps:",
        "      - uses: actions/checkout@v4",
        "      - run: make %s" % job.lower().split()[0],
    ]


def json_config(interesting):
    return ["{", "  \"name\": \"%s\"," % pick(SERVICES), "  \"region\": \"eu-west-1\","] + \
        ["  " + line for line in interesting] + ["  \"retries\": 3", "}"]


def rust_module(service, interesting):
    return [
        "//! Client for the %s API." % service,
        "",
        "use std::time::Duration;",
        "",
        *interesting,
        "",
        "pub fn request_timeout() -> Duration {",
        "    Duration::from_secs(10)",
        "}",
    ]


def typescript_module(service, interesting):
    return [
        "import { createClient } from './http';",
        "",
        *interesting,
        "",
        "export const %sClient = createClient({ baseUrl: 'https://%s.acme-corp.net' });" % (camel(service), service),
    ]


def go_module(package, interesting):
    return [
        "package %s" % package,
        "",
        "import \"time\"",
        "",
        *interesting,
        "",
        "const requestTimeout = 10 * time.Second",
    ]


def shell_script(interesting):
    return ["#!/usr/bin/env bash", "set -euo pipefail", ""] + interesting + ["", "echo \"done\""]


GENERIC_KEYS = ["api_key", "apiKey", "API_TOKEN", "client_secret", "clientSecret", "db_password", "DB_PASSWORD",
                "auth_token", "access_token", "refresh_token", "encryption_key", "signing_secret", "webhook_secret",
                "SECRET_KEY", "mailgun_api_key", "PASSWORD", "accessKey", "x-api-key", "smtp.password"]


def random_host(variable, value, rule):
    """A file that assigns `value` to `variable` in one of many formats; the line is marked."""
    service = pick(SERVICES)
    snake = variable.replace("-", "_").replace(".", "_")
    kind = pick(["python", "env", "yaml", "json", "typescript", "go", "rust", "properties", "toml", "shell", "compose", "workflow", "ruby", "java"])
    if kind == "python":
        return "%s/config.py" % service, python_settings(service, [secret("%s = \"%s\"" % (snake.upper(), value), rule)])
    if kind == "env":
        return "deploy/%s.env" % service, env_file(service, [secret("%s=%s" % (snake.upper(), value), rule)])
    if kind == "yaml":
        return "config/%s.yaml" % service, yaml_config(service, "upstream", ["endpoint: https://api.partner.io", secret("%s: %s" % (variable, value), rule)])
    if kind == "json":
        return "config/%s.json" % service, json_config([secret("\"%s\": \"%s\"," % (variable, value), rule)])
    if kind == "typescript":
        return "web/src/%s/config.ts" % service, typescript_module(service, [secret("export const %s = '%s';" % (snake.upper(), value), rule)])
    if kind == "go":
        return "internal/%s/config.go" % service, go_module(service, [secret("const %s = \"%s\"" % (camel(snake.lower()), value), rule)])
    if kind == "rust":
        return "crates/%s/src/config.rs" % service, rust_module(service, [secret("pub const %s: &str = \"%s\";" % (snake.upper(), value), rule)])
    if kind == "properties":
        return "src/main/resources/%s.properties" % service, ["server.port=8080", secret("%s.%s=%s" % (service, variable.lower().replace("_", "-"), value), rule), "logging.level.root=INFO"]
    if kind == "toml":
        return "config/%s.toml" % service, ["[server]", "port = 8080", "", "[upstream]", secret("%s = \"%s\"" % (snake.lower(), value), rule)]
    if kind == "shell":
        return "scripts/%s-sync.sh" % service, shell_script([secret("export %s=\"%s\"" % (snake.upper(), value), rule), "./bin/sync --service %s" % service])
    if kind == "compose":
        return "deploy/%s/docker-compose.yml" % service, ["services:", "  %s:" % service, "    image: ghcr.io/acme/%s:latest" % service, "    environment:", secret("      %s: %s" % (snake.upper(), value), rule)]
    if kind == "workflow":
        return ".github/workflows/%s.yml" % service, github_workflow("Deploy %s" % service, [secret("%s: %s" % (snake.upper(), value), rule)])
    if kind == "ruby":
        return "config/initializers/%s.rb" % service, ["Rails.application.configure do", secret("  config.x.%s = '%s'" % (snake.lower(), value), rule), "end"]
    return "src/main/java/com/acme/%s/Config.java" % service, ["package com.acme.%s;" % service, "", "final class Config {", secret("    static final String %s = \"%s\";" % (snake.upper(), value), rule), "}"]


# --- positives --------------------------------------------------------------------------

def positive_pull_requests():
    prs = []

    def add(rule, description, specifications):
        prs.append(pull_request("positive-%03d-%s" % (len(prs) + 1, rule), description, specifications))

    service = lambda: pick(SERVICES)

    # AWS
    key_id, secret_key = make_secret("aws-access-key-id"), make_secret("aws-secret-access-key")
    add("aws-access-key-id", "AWS key pair hard-coded in Python settings", [
        {"path": "%s/settings.py" % service(), "after": python_settings("billing", [
            secret("AWS_ACCESS_KEY_ID = \"%s\"" % key_id, "aws-access-key-id"),
            secret("AWS_SECRET_ACCESS_KEY = \"%s\"" % secret_key, "aws-secret-access-key"),
            "AWS_REGION = \"eu-west-1\"",
        ])},
    ])
    add("aws-access-key-id", "AWS keys in a Terraform provider block", [
        {"path": "infra/providers.tf", "after": [
            "provider \"aws\" {",
            "  region     = \"us-east-1\"",
            secret("  access_key = \"%s\"" % make_secret("aws-access-key-id"), "aws-access-key-id"),
            secret("  secret_key = \"%s\"" % make_secret("aws-secret-access-key"), "aws-secret-access-key"),
            "}",
        ]},
    ])
    add("aws-secret-access-key", "AWS credentials file committed", [
        {"path": "deploy/aws/credentials", "after": [
            "[default]",
            secret("aws_access_key_id = %s" % make_secret("aws-access-key-id"), "aws-access-key-id"),
            secret("aws_secret_access_key = %s" % make_secret("aws-secret-access-key"), "aws-secret-access-key"),
            "region = eu-central-1",
        ]},
    ])
    add("aws-secret-access-key", "AWS secret in a Kubernetes config map (YAML)", [
        {"path": "k8s/exporter-config.yaml", "after": [
            "apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: s3-exporter", "data:",
            "  bucket: acme-exports",
            secret("  accessKeyId: %s" % make_secret("aws-access-key-id"), "aws-access-key-id"),
            secret("  secretAccessKey: %s" % make_secret("aws-secret-access-key"), "aws-secret-access-key"),
        ]},
    ])

    # GitHub
    for rule, host in [("github-pat", "workflow"), ("github-pat", "python"), ("github-pat", "rust"),
                       ("github-fine-grained-pat", "typescript"), ("github-fine-grained-pat", "shell"),
                       ("github-oauth-token", "json"), ("github-oauth-token", "go"),
                       ("github-app-token", "yaml"), ("github-app-token", "python"),
                       ("github-refresh-token", "json"), ("github-refresh-token", "env")]:
        value = make_secret(rule)
        name = service()
        if host == "workflow":
            spec = {"path": ".github/workflows/release.yml", "after": github_workflow("Release", [
                "CARGO_TERM_COLOR: always", secret("GH_TOKEN: %s" % value, rule)])}
        elif host == "python":
            spec = {"path": "scripts/sync_labels.py", "after": [
                "import requests", "",
                secret("GITHUB_TOKEN = \"%s\"" % value, rule), "",
                "def sync(repo):",
                "    headers = {\"Accept\": \"application/vnd.github+json\"}",
                "    return requests.get(f\"https://api.github.com/repos/{repo}/labels\", headers=headers, timeout=10)",
            ]}
        elif host == "rust":
            spec = {"path": "crates/%s/src/github.rs" % name, "after": rust_module(name, [
                secret("const GITHUB_TOKEN: &str = \"%s\";" % value, rule)])}
        elif host == "typescript":
            spec = {"path": "web/src/api/github.ts", "after": typescript_module(name, [
                secret("const githubToken = '%s';" % value, rule)])}
        elif host == "shell":
            spec = {"path": "scripts/publish.sh", "after": shell_script([
                secret("export GH_TOKEN=%s" % value, rule),
                "gh release create \"v${VERSION}\" --generate-notes"])}
        elif host == "json":
            spec = {"path": "config/integrations.json", "after": json_config([
                "\"github_app_id\": 184213,", secret("\"github_oauth\": \"%s\"," % value, rule)])}
        elif host == "go":
            spec = {"path": "internal/github/client.go", "after": go_module("github", [
                secret("const defaultToken = \"%s\"" % value, rule)])}
        elif host == "yaml":
            spec = {"path": "config/bot.yaml", "after": yaml_config(name, "github", [
                "app_id: 90210", secret("installation_token: %s" % value, rule)])}
        else:
            spec = {"path": "deploy/bot.env.production", "after": env_file(name, [
                secret("GITHUB_REFRESH=%s" % value, rule)])}
        add(rule, "%s in a %s file" % (rule, host), [spec])

    # GitLab
    add("gitlab-pat", "GitLab token in CI variables", [
        {"path": ".gitlab-ci.yml", "after": [
            "stages: [build, deploy]", "variables:", "  DOCKER_DRIVER: overlay2",
            secret("  GITLAB_API_TOKEN: %s" % make_secret("gitlab-pat"), "gitlab-pat"),
            "build:", "  stage: build", "  script:", "    - make build"]},
    ])
    add("gitlab-pat", "GitLab token in a Python script header", [
        {"path": "tools/mirror.py", "before": ["import requests", "", "def mirror(project):", "    pass"],
         "after": ["import requests", "",
                   secret("HEADERS = {\"PRIVATE-TOKEN\": \"%s\"}" % make_secret("gitlab-pat"), "gitlab-pat"),
                   "", "def mirror(project):",
                   "    return requests.post(f\"https://gitlab.com/api/v4/projects/{project}/mirror/pull\", headers=HEADERS)"]},
    ])
    add("gitlab-token", "GitLab runner / trigger token", [
        {"path": "deploy/runner/config.toml", "after": [
            "concurrent = 4", "[[runners]]", "  name = \"docker-runner\"", "  url = \"https://gitlab.com/\"",
            secret("  token = \"%s\"" % ("glrt-" + random_text(URL_SAFE, 20)), "gitlab-token"),
            "  executor = \"docker\""]},
        {"path": "scripts/trigger.sh", "after": shell_script([
            secret("curl -X POST -F token=%s -F ref=main https://gitlab.com/api/v4/projects/42/trigger/pipeline" % ("glptt-" + hex_text(40)), "gitlab-token")])},
    ])

    # Slack
    add("slack-bot-token", "Slack bot token in Python", [
        {"path": "%s/alerts/slack.py" % service(), "after": [
            "from slack_sdk import WebClient", "",
            secret("client = WebClient(token=\"%s\")" % make_secret("slack-bot-token"), "slack-bot-token"),
            "", "def notify(channel, text):", "    client.chat_postMessage(channel=channel, text=text)"]},
    ])
    add("slack-bot-token", "Slack bot token in an env file", [
        {"path": "deploy/notifier.env", "after": env_file("notifier", [
            secret("SLACK_BOT_TOKEN=%s" % make_secret("slack-bot-token"), "slack-bot-token")])},
    ])
    add("slack-user-token", "Slack user token in JavaScript", [
        {"path": "tools/export-channel.js", "after": [
            "const { WebClient } = require('@slack/web-api');",
            secret("const web = new WebClient('%s');" % make_secret("slack-user-token"), "slack-user-token"),
            "module.exports = async (channel) => web.conversations.history({ channel });"]},
    ])
    add("slack-app-token", "Slack app-level token in YAML", [
        {"path": "config/socket-mode.yaml", "after": yaml_config("chatops", "slack", [
            "socket_mode: true", secret("app_token: %s" % make_secret("slack-app-token"), "slack-app-token")])},
    ])
    add("slack-webhook-url", "Slack webhook in Alertmanager config", [
        {"path": "monitoring/alertmanager.yml", "after": [
            "route:", "  receiver: team-ops", "receivers:", "  - name: team-ops", "    slack_configs:",
            secret("      - api_url: %s" % make_secret("slack-webhook-url"), "slack-webhook-url"),
            "        channel: '#ops-alerts'", "        send_resolved: true"]},
    ])
    add("slack-webhook-url", "Slack webhook in Go", [
        {"path": "internal/notify/slack.go", "after": go_module("notify", [
            secret("var webhookURL = \"%s\"" % make_secret("slack-webhook-url"), "slack-webhook-url")])},
    ])

    # Stripe
    add("stripe-live-secret-key", "Stripe key in a Rails initializer", [
        {"path": "config/initializers/stripe.rb", "after": [
            "require 'stripe'", "",
            secret("Stripe.api_key = '%s'" % make_secret("stripe-live-secret-key"), "stripe-live-secret-key"),
            "Stripe.max_network_retries = 2"]},
    ])
    add("stripe-live-secret-key", "Stripe key in TypeScript", [
        {"path": "web/server/payments.ts", "after": [
            "import Stripe from 'stripe';", "",
            secret("export const stripe = new Stripe('%s', { apiVersion: '2024-06-20' });" % make_secret("stripe-live-secret-key"), "stripe-live-secret-key")]},
    ])
    add("stripe-restricted-key", "Stripe restricted key in Python", [
        {"path": "%s/reporting/stripe_export.py" % service(), "after": [
            "import stripe", "",
            secret("stripe.api_key = \"%s\"" % make_secret("stripe-restricted-key"), "stripe-restricted-key"),
            "", "def export(since):", "    return stripe.BalanceTransaction.list(created={\"gte\": since})"]},
    ])
    add("stripe-restricted-key", "Stripe restricted key in .env", [
        {"path": "deploy/reports.env", "after": env_file("reports", [
            secret("STRIPE_RESTRICTED_KEY=%s" % make_secret("stripe-restricted-key"), "stripe-restricted-key")])},
    ])

    # Google
    add("google-api-key", "Google Maps key in JavaScript", [
        {"path": "web/src/maps/loader.js", "after": [
            "import { Loader } from '@googlemaps/js-api-loader';",
            secret("const loader = new Loader({ apiKey: \"%s\", version: 'weekly' });" % make_secret("google-api-key"), "google-api-key"),
            "export default loader;"]},
    ])
    add("google-api-key", "Firebase config JSON", [
        {"path": "mobile/google-services.json", "after": [
            "{", "  \"project_info\": { \"project_id\": \"acme-mobile\" },", "  \"client\": [{", "    \"api_key\": [",
            secret("      { \"current_key\": \"%s\" }" % make_secret("google-api-key"), "google-api-key"),
            "    ]", "  }]", "}"]},
    ])

    # Twilio
    sid = "AC" + hex_text(32)
    add("twilio-api-key", "Twilio API key and auth token in Python", [
        {"path": "%s/sms.py" % service(), "after": [
            "from twilio.rest import Client", "",
            "ACCOUNT_SID = \"%s\"" % sid,
            secret("API_KEY_SID = \"%s\"" % make_secret("twilio-api-key"), "twilio-api-key"),
            secret("TWILIO_AUTH_TOKEN = \"%s\"" % make_secret("twilio-auth-token"), "twilio-auth-token"),
            "client = Client(ACCOUNT_SID, TWILIO_AUTH_TOKEN)"]},
    ])
    add("twilio-api-key", "Twilio key in Node", [
        {"path": "services/sms/index.js", "after": [
            "const twilio = require('twilio');",
            secret("const apiKey = '%s';" % make_secret("twilio-api-key"), "twilio-api-key"),
            "const apiSecret = process.env.TWILIO_API_SECRET;",
            "module.exports = twilio(apiKey, apiSecret, { accountSid: process.env.TWILIO_ACCOUNT_SID });"]},
    ])
    add("twilio-auth-token", "Twilio auth token in YAML", [
        {"path": "config/sms.yaml", "after": yaml_config("sms", "twilio", [
            "account_sid: AC" + hex_text(32), secret("auth_token: %s" % make_secret("twilio-auth-token"), "twilio-auth-token")])},
    ])

    # SendGrid, npm, PyPI
    add("sendgrid-api-key", "SendGrid key in Python", [
        {"path": "%s/mail.py" % service(), "after": [
            "from sendgrid import SendGridAPIClient", "",
            secret("sg = SendGridAPIClient(\"%s\")" % make_secret("sendgrid-api-key"), "sendgrid-api-key")]},
    ])
    add("sendgrid-api-key", "SendGrid key in an env file", [
        {"path": "deploy/mailer.env", "after": env_file("mailer", [
            secret("SENDGRID_API_KEY=%s" % make_secret("sendgrid-api-key"), "sendgrid-api-key")])},
    ])
    add("npm-access-token", "npm token in .npmrc", [
        {"path": ".npmrc", "after": ["registry=https://registry.npmjs.org/",
                                     secret("//registry.npmjs.org/:_authToken=%s" % make_secret("npm-access-token"), "npm-access-token"),
                                     "save-exact=true"]},
    ])
    add("npm-access-token", "npm token in a publish workflow", [
        {"path": ".github/workflows/publish.yml", "after": github_workflow("Publish package", [
            secret("NODE_AUTH_TOKEN: %s" % make_secret("npm-access-token"), "npm-access-token")])},
    ])
    add("pypi-upload-token", "PyPI token in .pypirc", [
        {"path": "deploy/.pypirc", "after": ["[distutils]", "index-servers = pypi", "", "[pypi]", "username = __token__",
                                             secret("password = %s" % make_secret("pypi-upload-token"), "pypi-upload-token")]},
    ])
    add("pypi-upload-token", "PyPI token in a workflow", [
        {"path": ".github/workflows/wheels.yml", "after": github_workflow("Build wheels", [
            "TWINE_USERNAME: __token__", secret("TWINE_PASSWORD: %s" % make_secret("pypi-upload-token"), "pypi-upload-token")])},
    ])

    # Private keys
    pem = pem_block()
    add("private-key", "RSA private key file", [
        {"path": "deploy/tls/server-key.txt", "after": [secret(pem[0], "private-key")] + pem[1:]},
    ])
    pem = pem_block("PRIVATE KEY", 8)
    add("private-key", "Private key in a Kubernetes secret manifest", [
        {"path": "k8s/ingress-tls.yaml", "after": [
            "apiVersion: v1", "kind: Secret", "metadata:", "  name: ingress-tls", "type: kubernetes.io/tls",
            "stringData:", "  tls.key: |", secret("    " + pem[0], "private-key")] + ["    " + line for line in pem[1:]]},
    ])
    body = base64_text(600)
    add("private-key", "Service-account JSON with an escaped private key", [
        {"path": "config/gcp-service-account.json", "after": [
            "{", "  \"type\": \"service_account\",", "  \"project_id\": \"acme-data\",",
            "  \"private_key_id\": \"%s\"," % hex_text(40),
            secret("  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n%s\\n-----END PRIVATE KEY-----\\n\"," % "\\n".join(body[i:i + 64] for i in range(0, len(body), 64)), "private-key"),
            "  \"client_email\": \"exporter@acme-data.iam.gserviceaccount.com\"", "}"]},
    ])
    pem = pem_block("OPENSSH PRIVATE KEY", 6)
    add("private-key", "Deploy key in an Ansible vars file", [
        {"path": "ansible/group_vars/web.yml", "after": [
            "deploy_user: deploy", "deploy_key: |", secret("  " + pem[0], "private-key")] + ["  " + line for line in pem[1:]]},
    ])

    # JWT
    add("jwt", "Long-lived JWT in a TypeScript client", [
        {"path": "web/src/api/internal.ts", "after": typescript_module("reports", [
            secret("const serviceToken = '%s';" % make_secret("jwt"), "jwt")])},
    ])
    add("jwt", "JWT in a Postman-style collection", [
        {"path": "docs/api/collection.json", "after": [
            "{", "  \"info\": { \"name\": \"Internal API\" },", "  \"auth\": {", "    \"type\": \"bearer\",",
            secret("    \"bearer\": [{ \"key\": \"token\", \"value\": \"%s\" }]" % make_secret("jwt"), "jwt"),
            "  }", "}"]},
    ])
    add("jwt", "JWT in an Authorization header in shell", [
        {"path": "scripts/smoke.sh", "after": shell_script([
            secret("curl -fsS -H \"Authorization: Bearer %s\" https://api.acme-corp.net/v1/health" % make_secret("jwt"), "jwt")])},
    ])

    # URL credentials
    add("url-embedded-credentials", "Database URL with a password in YAML", [
        {"path": "config/database.yml", "after": [
            "production:", "  adapter: postgresql",
            secret("  url: postgres://app_rw:%s@%s:5432/app" % (make_secret("url-password"), HOSTS[0]), "url-embedded-credentials"),
            "  pool: 10"]},
    ])
    add("url-embedded-credentials", "Redis URL with a password in Python", [
        {"path": "%s/cache.py" % service(), "after": [
            "import redis", "",
            secret("REDIS_URL = \"redis://:%s@%s:6379/0\"" % (make_secret("url-password"), HOSTS[3]), "url-embedded-credentials"),
            "cache = redis.Redis.from_url(REDIS_URL)"]},
    ])
    add("url-embedded-credentials", "AMQP URL in Go", [
        {"path": "internal/queue/amqp.go", "after": go_module("queue", [
            secret("const brokerURL = \"amqp://worker:%s@%s:5672/\"" % (make_secret("url-password"), HOSTS[4]), "url-embedded-credentials")])},
    ])

    # Bearer
    add("authorization-bearer-token", "Bearer token in a Python header", [
        {"path": "%s/partner_client.py" % service(), "after": [
            "import httpx", "",
            secret("HEADERS = {\"Authorization\": \"Bearer %s\"}" % make_secret("authorization-bearer-token"), "authorization-bearer-token"),
            "client = httpx.Client(base_url=\"https://partner.example.org\", headers=HEADERS)"]},
    ])
    add("authorization-bearer-token", "Bearer token in a curl script", [
        {"path": "scripts/backfill.sh", "after": shell_script([
            secret("curl -fsS -H 'Authorization: Bearer %s' -X POST https://api.acme-corp.net/v1/backfill" % make_secret("authorization-bearer-token"), "authorization-bearer-token")])},
    ])

    # Generic
    generic_cases = [
        ("config/app.yaml", lambda v: yaml_config("api", "oauth", ["client_id: acme-dashboard", secret("client_secret: %s" % v, "generic-secret")])),
        ("config/settings.json", lambda v: json_config([secret("\"apiKey\": \"%s\"," % v, "generic-secret")])),
        ("deploy/web.env", lambda v: env_file("web", [secret("SESSION_SECRET=%s" % v, "generic-secret")])),
        ("crates/mailer/src/smtp.rs", lambda v: rust_module("mailer", [secret("const SMTP_PASSWORD: &str = \"%s\";" % v, "generic-secret")])),
        ("internal/store/config.go", lambda v: go_module("store", ["var defaultConfig = Config{", "\tUser:     \"app\",", secret("\tPassword: \"%s\"," % v, "generic-secret"), "}"])),
        ("src/main/resources/application.properties", lambda v: ["spring.datasource.url=jdbc:postgresql://db:5432/app", "spring.datasource.username=app", secret("spring.datasource.password=%s" % v, "generic-secret")]),
        ("pyproject-tools/publish.toml", lambda v: ["[publish]", "repository = \"internal\"", secret("api_key = \"%s\"" % v, "generic-secret")]),
        ("docker/worker.Dockerfile", lambda v: ["FROM python:3.12-slim", "WORKDIR /app", secret("ENV WEBHOOK_SECRET=%s" % v, "generic-secret"), "COPY . .", "CMD [\"python\", \"-m\", \"worker\"]"]),
        ("web/src/config.ts", lambda v: typescript_module("analytics", [secret("export const ANALYTICS_API_KEY = \"%s\";" % v, "generic-secret")])),
        ("%s/signing.py" % pick(SERVICES), lambda v: ["import hmac", "", secret("SIGNING_KEY = b\"%s\"" % v, "generic-secret"), "", "def sign(body):", "    return hmac.new(SIGNING_KEY, body, \"sha256\").hexdigest()"]),
    ]
    for path, build in generic_cases:
        rule_value = make_secret("generic-password" if "PASSWORD" in path.upper() or path.endswith(".properties") or path.endswith(".go") or path.endswith(".rs") else "generic-secret")
        add("generic-secret", "Hard-coded secret in %s" % path, [{"path": path, "after": build(rule_value)}])

    # Every provider rule again, in randomly chosen hosts, some as edits to existing files.
    provider_rules = ["aws-access-key-id", "github-pat", "github-fine-grained-pat", "github-oauth-token",
                      "github-app-token", "github-refresh-token", "gitlab-pat", "gitlab-token", "slack-bot-token",
                      "slack-user-token", "slack-app-token", "slack-webhook-url", "stripe-live-secret-key",
                      "stripe-restricted-key", "google-api-key", "sendgrid-api-key", "npm-access-token",
                      "pypi-upload-token", "jwt"]
    for round_number in range(2):
        for rule in provider_rules:
            value = make_secret(rule)
            variable = {"aws-access-key-id": "AWS_ACCESS_KEY_ID", "slack-webhook-url": "ALERT_WEBHOOK",
                        "jwt": "SERVICE_JWT"}.get(rule, pick(["INTEGRATION_CREDENTIAL", "UPSTREAM_KEY", "CLIENT_CREDENTIAL", "DEPLOY_KEY"]))
            path, build = random_host(variable, value, rule)
            specification = {"path": path, "after": build}
            if round_number == 1:
                before = [line for line in build if not isinstance(line, Marked)]
                specification["before"] = before
            add(rule, "%s in %s (variant %d)" % (rule, path, round_number + 1), [specification])
    for _ in range(12):
        key = pick(GENERIC_KEYS)
        value = make_secret("generic-password" if "assword" in key.lower() else "generic-secret")
        path, build = random_host(key, value, "generic-secret")
        add("generic-secret", "%s assigned in %s" % (key, path), [{"path": path, "after": build}])
    for _ in range(4):
        path, build = random_host("DATABASE_URL", "postgresql://svc_%s:%s@%s:5432/%s" % (pick(SERVICES), make_secret("url-password"), pick(HOSTS[:3]), pick(SERVICES)), "url-embedded-credentials")
        add("url-embedded-credentials", "connection string in %s" % path, [{"path": path, "after": build}])

    # Real-shaped tokens in test paths: still reported (at low).
    add("github-pat", "A real-shaped token in a test fixture is still reported", [
        {"path": "tests/fixtures/github_client.json", "after": [
            "{", "  \"base_url\": \"https://api.github.com\",",
            secret("  \"token\": \"%s\"" % make_secret("github-pat"), "github-pat"), "}"]},
    ])
    add("stripe-live-secret-key", "A live Stripe key in a spec file is still reported", [
        {"path": "web/src/payments/checkout.spec.ts", "after": [
            "import { charge } from './checkout';", "",
            secret("const key = '%s';" % make_secret("stripe-live-secret-key"), "stripe-live-secret-key"),
            "it('charges', async () => { expect(await charge(key, 100)).toBeTruthy(); });"]},
    ])

    # A modified file: the secret arrives in an edit, with context lines around it.
    before = python_settings("ledger", ["SENTRY_DSN = os.environ.get(\"SENTRY_DSN\")"])
    after = python_settings("ledger", ["SENTRY_DSN = os.environ.get(\"SENTRY_DSN\")",
                                       secret("SLACK_TOKEN = \"%s\"" % make_secret("slack-bot-token"), "slack-bot-token")])
    add("slack-bot-token", "Secret added to an existing settings file", [
        {"path": "ledger/settings.py", "before": before, "after": after},
        {"path": "ledger/tests/test_settings.py", "before": ["def test_debug_off(settings):", "    assert not settings.DEBUG"],
         "after": ["def test_debug_off(settings):", "    assert not settings.DEBUG", "", "def test_timeout(settings):", "    assert settings.REQUEST_TIMEOUT_SECONDS == 30"]},
    ])
    return prs


# --- negatives --------------------------------------------------------------------------

def negative_pull_requests():
    prs = []

    def add(topic, description, specifications):
        prs.append(pull_request("negative-%03d-%s" % (len(prs) + 1, topic), description, specifications))

    add("aws-documentation", "AWS documentation example keys", [
        {"path": "docs/deploy/aws.md", "after": [
            "# Deploying to AWS", "", "Configure the CLI with your own keys:", "", "```ini", "[default]",
            negative("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "documentation example"),
            negative("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "documentation example"),
            "```"]},
        {"path": "config/aws.py", "after": [
            "import os", "",
            negative("AWS_ACCESS_KEY_ID = os.environ[\"AWS_ACCESS_KEY_ID\"]", "environment lookup"),
            negative("AWS_SECRET_ACCESS_KEY = os.environ[\"AWS_SECRET_ACCESS_KEY\"]", "environment lookup"),
            negative("PLACEHOLDER_KEY_ID = \"AKIAXXXXXXXXXXXXXXXX\"", "placeholder")]},
    ])
    add("github-placeholders", "GitHub token placeholders and secrets references", [
        {"path": ".github/workflows/ci.yml", "after": github_workflow("CI", [
            negative("GH_TOKEN: ${{ secrets.GITHUB_TOKEN }}", "secrets reference"),
            negative("NPM_TOKEN: ${{ secrets.NPM_TOKEN }}", "secrets reference")])},
        {"path": "docs/contributing.md", "after": [
            "## Releasing", "",
            negative("Set `GH_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` to a token with `repo` scope.", "placeholder"),
            negative("Fine-grained tokens look like `github_pat_<your-token>`.", "placeholder")]},
        {"path": "scripts/release.py", "after": [
            "import os", "",
            negative("token = os.getenv(\"GITHUB_TOKEN\")", "environment lookup"),
            negative("oauth_token = os.environ.get(\"GITHUB_OAUTH_TOKEN\", \"\")", "environment lookup")]},
    ])
    add("gitlab-placeholders", "GitLab CI with job tokens", [
        {"path": ".gitlab-ci.yml", "after": [
            "release:", "  script:",
            negative("    - 'curl --header \"JOB-TOKEN: $CI_JOB_TOKEN\" https://gitlab.com/api/v4/projects/1/packages'", "variable reference"),
            negative("    - echo \"use glpat-xxxxxxxxxxxxxxxxxxxx as a template\"", "placeholder")]},
    ])
    add("slack-placeholders", "Slack documentation webhook and token placeholders", [
        {"path": "docs/alerts.md", "after": [
            "## Slack alerts", "",
            negative("webhook_url: https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", "documentation example"),
            negative("bot_token: xoxb-your-bot-token", "placeholder")]},
        {"path": "notifier/config.py", "after": [
            "import os",
            negative("SLACK_BOT_TOKEN = os.environ[\"SLACK_BOT_TOKEN\"]", "environment lookup"),
            negative("SLACK_WEBHOOK = os.getenv(\"SLACK_WEBHOOK_URL\")", "environment lookup")]},
    ])
    add("stripe-test-and-env", "Stripe test-mode key, placeholder and env lookup", [
        {"path": "web/server/stripe.ts", "after": [
            "import Stripe from 'stripe';",
            negative("const key = process.env.STRIPE_SECRET_KEY ?? '';", "environment lookup"),
            "export const stripe = new Stripe(key, { apiVersion: '2024-06-20' });"]},
        {"path": ".env.example", "after": [
            negative("STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx", "placeholder"),
            negative("STRIPE_TEST_KEY=sk_test_%s" % random_text(ALPHANUMERIC, 24), "test-mode key (not reported by design)"),
            negative("STRIPE_RESTRICTED_KEY=rk_live_<restricted-key>", "placeholder")]},
    ])
    add("google-placeholders", "Google API key placeholder and env", [
        {"path": "web/src/maps/config.ts", "after": [
            negative("export const mapsKey = import.meta.env.VITE_GOOGLE_MAPS_KEY;", "environment lookup"),
            negative("// e.g. AIzaSyXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "placeholder")]},
    ])
    add("twilio-sid-and-env", "Twilio account SID (an identifier) and env-provided token", [
        {"path": "sms/client.py", "after": [
            "import os", "from twilio.rest import Client", "",
            negative("ACCOUNT_SID = \"AC%s\"" % hex_text(32), "account SID is not a secret"),
            negative("TWILIO_AUTH_TOKEN = os.environ[\"TWILIO_AUTH_TOKEN\"]", "environment lookup"),
            "client = Client(ACCOUNT_SID, TWILIO_AUTH_TOKEN)"]},
    ])
    add("sendgrid-npm-pypi-placeholders", "SendGrid, npm and PyPI placeholders", [
        {"path": ".npmrc", "after": [negative("//registry.npmjs.org/:_authToken=${NPM_TOKEN}", "variable reference")]},
        {"path": "deploy/.pypirc.example", "after": ["[pypi]", "username = __token__",
                                                     negative("password = pypi-<your-upload-token>", "placeholder")]},
        {"path": "mailer/settings.py", "after": [
            negative("SENDGRID_API_KEY = os.environ.get(\"SENDGRID_API_KEY\")", "environment lookup"),
            negative("EXAMPLE_KEY = \"SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"", "placeholder")]},
    ])
    add("pem-look-alikes", "PEM parsing code, public keys, certificates and an elided key", [
        {"path": "crates/tls/src/pem.rs", "after": [
            "pub fn is_private_key(text: &str) -> bool {",
            negative("    text.contains(\"-----BEGIN PRIVATE KEY-----\") || text.contains(\"-----BEGIN RSA PRIVATE KEY-----\")", "code naming the header"),
            "}"]},
        {"path": "deploy/tls/ca.pem", "after": pem_block("CERTIFICATE", 10)},
        {"path": "deploy/keys/signing.pub", "after": pem_block("PUBLIC KEY", 6)},
        {"path": "docs/tls.md", "after": ["Put the key in `tls.key`:", "", "```",
                                          negative("-----BEGIN PRIVATE KEY-----", "elided example"), "...", "-----END PRIVATE KEY-----", "```"]},
    ])
    add("jwt-documentation-and-tests", "jwt.io's example token and JWTs in tests", [
        {"path": "docs/auth.md", "after": [
            "A token looks like this:", "",
            negative("    eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", "documentation example")]},
        {"path": "web/src/__tests__/session.test.ts", "after": [
            "import { decode } from '../session';",
            negative("const token = '%s';" % make_secret("jwt"), "JWT in a test"),
            "it('decodes', () => { expect(decode(token).scope).toBeDefined(); });"]},
    ])
    add("url-look-alikes", "Connection URLs without real passwords", [
        {"path": "docker-compose.yml", "after": [
            "services:", "  api:", "    environment:",
            negative("      DATABASE_URL: postgres://postgres:postgres@db:5432/app", "development password"),
            negative("      REDIS_URL: redis://:${REDIS_PASSWORD}@cache:6379/0", "variable reference"),
            negative("      AMQP_URL: amqp://guest:guest@localhost:5672/", "local default"),
            "  db:", "    image: postgres:16",
            negative("    environment: { POSTGRES_PASSWORD: postgres }", "development password")]},
        {"path": "docs/setup.md", "after": [
            negative("Set `DATABASE_URL=postgres://user:<password>@host:5432/db`.", "placeholder"),
            negative("For example `mysql://admin:changeme@db.example.com/app`.", "placeholder")]},
    ])
    add("bearer-look-alikes", "Bearer headers built from variables", [
        {"path": "web/src/api/http.ts", "after": [
            negative("headers.set('Authorization', `Bearer ${session.accessToken}`);", "template expression"),
            negative("const auth = 'Bearer ' + token;", "concatenated variable")]},
        {"path": "docs/api.md", "after": [negative("    curl -H \"Authorization: Bearer <your-access-token>\" https://api.acme-corp.net/v1/me", "placeholder")]},
    ])
    add("generic-look-alikes", "Secret-named keys holding hashes, UUIDs, references and prose", [
        {"path": "config/app.yaml", "after": yaml_config("api", "auth", [
            negative("token_url: https://auth.acme-corp.net/oauth/token", "URL"),
            negative("client_secret: ${OAUTH_CLIENT_SECRET}", "variable reference"),
            negative("api_key_id: %s" % random_uuid(), "UUID"),
            negative("password_hash: %s" % hex_text(64), "hex digest"),
            negative("secret_name: prod-api-credentials", "name, not a value"),
            negative("max_tokens: 4096", "number"),
            negative("token_ttl: 3600s", "duration")])},
        {"path": "k8s/api-deployment.yaml", "after": [
            "        env:", "          - name: DB_PASSWORD", "            valueFrom:", "              secretKeyRef:",
            negative("                name: api-credentials", "secret reference"),
            negative("                key: db-password", "secret reference"),
            negative("        image: ghcr.io/acme/api@sha256:%s" % hex_text(64), "image digest")]},
        {"path": "web/src/i18n/en.json", "after": [
            "{", negative("  \"passwordLabel\": \"Password\",", "UI text"),
            negative("  \"tokenExpired\": \"Your session has expired, please sign in again\",", "UI text"),
            negative("  \"secretHint\": \"Never share your recovery phrase\"", "UI text"), "}"]},
        {"path": "app/auth/service.py", "after": [
            negative("    password = form.cleaned_data[\"password\"]", "variable"),
            negative("    token = generate_token(user.id)", "function call"),
            negative("    api_key = settings.PARTNER_API_KEY", "settings reference"),
            negative("    secret = hashlib.sha256(payload).hexdigest()", "computed value")]},
    ])
    add("fixtures-are-skipped", "Generic secrets in test fixtures are not reported", [
        {"path": "tests/fixtures/users.json", "after": [
            "[", negative("  {\"email\": \"ada@acme.test\", \"password\": \"%s\"}," % make_secret("generic-password"), "test fixture"),
            negative("  {\"email\": \"alan@acme.test\", \"api_key\": \"%s\"}" % make_secret("generic-secret"), "test fixture"), "]"]},
        {"path": "internal/store/store_test.go", "after": [
            "package store", "",
            negative("var testPassword = \"%s\"" % make_secret("generic-password"), "test file")]},
        {"path": "app/testdata/config.yaml", "after": [negative("client_secret: %s" % make_secret("generic-secret"), "testdata")]},
    ])
    add("lockfiles-are-skipped", "Lockfiles: integrity hashes and checksums", [
        {"path": "package-lock.json", "before": ["{", "  \"lockfileVersion\": 3,", "  \"packages\": {", "  }", "}"],
         "after": ["{", "  \"lockfileVersion\": 3,", "  \"packages\": {",
                   "    \"node_modules/zod\": {", "      \"version\": \"3.23.8\",",
                   "      \"resolved\": \"https://registry.npmjs.org/zod/-/zod-3.23.8.tgz\",",
                   negative("      \"integrity\": \"sha512-%s\"" % base64_text(64), "integrity hash"),
                   "    }", "  }", "}"]},
        {"path": "Cargo.lock", "before": ["version = 4", ""],
         "after": ["version = 4", "", "[[package]]", "name = \"regex\"", "version = \"1.11.1\"",
                   "source = \"registry+https://github.com/rust-lang/crates.io-index\"",
                   negative("checksum = \"%s\"" % hex_text(64), "checksum")]},
        {"path": "package.json", "before": ["{", "  \"dependencies\": {", "    \"react\": \"^18.3.1\"", "  }", "}"],
         "after": ["{", "  \"dependencies\": {", "    \"react\": \"^18.3.1\",", "    \"zod\": \"^3.23.8\"", "  }", "}"]},
    ])
    add("env-example", "An .env.example with empty and placeholder values", [
        {"path": ".env.example", "after": [
            negative("DATABASE_URL=postgres://postgres:postgres@localhost:5432/app", "local development"),
            negative("SECRET_KEY=change-me-in-production", "placeholder"),
            negative("API_TOKEN=", "empty"),
            negative("SMTP_PASSWORD=your-smtp-password", "placeholder"),
            negative("SESSION_SECRET=<generate with openssl rand -hex 32>", "placeholder")]},
    ])
    return prs


# --- clean pull requests -------------------------------------------------------------------

def rust_entity_module(entity, fields):
    struct = pascal(entity)
    lines = [
        "//! %s records and their storage." % struct,
        "",
        "use serde::{Deserialize, Serialize};",
        "use sqlx::PgPool;",
        "use uuid::Uuid;",
        "",
        "#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]",
        "pub struct %s {" % struct,
        "    pub id: Uuid,",
    ]
    lines += ["    pub %s: %s," % (name, rust_type) for name, rust_type, _, _ in fields]
    columns = ", ".join(["id"] + [name for name, _, _, _ in fields])
    lines += [
        "}",
        "",
        "pub async fn find_%s(pool: &PgPool, id: Uuid) -> Result<Option<%s>, sqlx::Error> {" % (entity, struct),
        "    sqlx::query_as::<_, %s>(\"SELECT %s FROM %ss WHERE id = $1\")" % (struct, columns, entity),
        "        .bind(id)",
        "        .fetch_optional(pool)",
        "        .await",
        "}",
        "",
        "pub async fn list_%ss(pool: &PgPool, limit: i64) -> Result<Vec<%s>, sqlx::Error> {" % (entity, struct),
        "    sqlx::query_as::<_, %s>(\"SELECT %s FROM %ss ORDER BY id LIMIT $1\")" % (struct, columns, entity),
        "        .bind(limit)",
        "        .fetch_all(pool)",
        "        .await",
        "}",
    ]
    return lines


def rust_auth_middleware():
    return [
        "//! Bearer-token authentication for the HTTP API.",
        "",
        "use axum::http::{HeaderMap, StatusCode, header::AUTHORIZATION};",
        "",
        "/// The token of an `Authorization: Bearer <token>` header.",
        "pub fn bearer_token(headers: &HeaderMap) -> Result<&str, StatusCode> {",
        "    let value = headers",
        "        .get(AUTHORIZATION)",
        "        .and_then(|value| value.to_str().ok())",
        "        .ok_or(StatusCode::UNAUTHORIZED)?;",
        "    value.strip_prefix(\"Bearer \").ok_or(StatusCode::UNAUTHORIZED)",
        "}",
        "",
        "pub fn verify_token(token: &str, expected_token_hash: &[u8]) -> bool {",
        "    let token_hash = sha2::Sha256::digest(token.as_bytes());",
        "    constant_time_eq::constant_time_eq(&token_hash, expected_token_hash)",
        "}",
        "",
        "pub struct Config {",
        "    pub api_token: String,",
        "    pub token_ttl_seconds: u64,",
        "}",
        "",
        "impl Config {",
        "    pub fn from_environment() -> Result<Config, std::env::VarError> {",
        "        let api_token = std::env::var(\"API_TOKEN\")?;",
        "        let token_ttl_seconds = std::env::var(\"TOKEN_TTL_SECONDS\").ok().and_then(|v| v.parse().ok()).unwrap_or(3600);",
        "        Ok(Config { api_token, token_ttl_seconds })",
        "    }",
        "}",
    ]


def rust_password_module():
    return [
        "use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier, password_hash::SaltString};",
        "use rand_core::OsRng;",
        "",
        "pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {",
        "    let salt = SaltString::generate(&mut OsRng);",
        "    let password_hash = Argon2::default().hash_password(password.as_bytes(), &salt)?;",
        "    Ok(password_hash.to_string())",
        "}",
        "",
        "pub fn verify_password(password: &str, stored_hash: &str) -> bool {",
        "    PasswordHash::new(stored_hash)",
        "        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())",
        "        .unwrap_or(false)",
        "}",
    ]


def rust_tests(entity):
    struct = pascal(entity)
    return [
        "use super::*;",
        "",
        "#[test]",
        "fn %s_round_trips_through_json() {" % entity,
        "    let id = Uuid::nil();",
        "    let json = serde_json::json!({\"id\": id});",
        "    assert_eq!(json[\"id\"], serde_json::Value::String(id.to_string()));",
        "}",
        "",
        "#[tokio::test]",
        "async fn missing_%s_is_none() {" % entity,
        "    let pool = testing::pool().await;",
        "    assert_eq!(find_%s(&pool, Uuid::new_v4()).await.ok().flatten(), None::<%s>);" % (entity, struct),
        "}",
    ]


def typescript_component(entity, fields):
    component = pascal(entity)
    lines = [
        "import { useEffect, useState } from 'react';",
        "import { api } from '../api/client';",
        "",
        "export interface %s {" % component,
        "  id: string;",
    ]
    lines += ["  %s: %s;" % (camel(name), ts_type) for name, _, _, ts_type in fields]
    lines += [
        "}",
        "",
        "export function %sList({ teamId }: { teamId: string }) {" % component,
        "  const [items, setItems] = useState<%s[]>([]);" % component,
        "  const [error, setError] = useState<string | null>(null);",
        "",
        "  useEffect(() => {",
        "    api.get<%s[]>(`/teams/${teamId}/%ss`).then(setItems).catch((e) => setError(String(e)));" % (component, entity),
        "  }, [teamId]);",
        "",
        "  if (error) return <p role=\"alert\">{error}</p>;",
        "  return (",
        "    <ul>",
        "      {items.map((item) => (",
        "        <li key={item.id}>{item.%s}</li>" % camel(fields[0][0]),
        "      ))}",
        "    </ul>",
        "  );",
        "}",
    ]
    return lines


def typescript_client():
    return [
        "const baseUrl = import.meta.env.VITE_API_URL ?? '/api';",
        "",
        "function authHeaders(): HeadersInit {",
        "  const token = sessionStorage.getItem('accessToken');",
        "  return token ? { Authorization: `Bearer ${token}` } : {};",
        "}",
        "",
        "async function request<T>(method: string, path: string, body?: unknown): Promise<T> {",
        "  const response = await fetch(`${baseUrl}${path}`, {",
        "    method,",
        "    headers: { 'Content-Type': 'application/json', ...authHeaders() },",
        "    body: body === undefined ? undefined : JSON.stringify(body),",
        "  });",
        "  if (response.status === 401) {",
        "    sessionStorage.removeItem('accessToken');",
        "    throw new Error('session expired');",
        "  }",
        "  if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);",
        "  return (await response.json()) as T;",
        "}",
        "",
        "export const api = {",
        "  get: <T>(path: string) => request<T>('GET', path),",
        "  post: <T>(path: string, body: unknown) => request<T>('POST', path, body),",
        "};",
    ]


def typescript_schema(entity, fields):
    lines = ["import { z } from 'zod';", "", "export const %sSchema = z.object({" % camel(entity), "  id: z.string().uuid(),"]
    for name, _, _, ts_type in fields:
        validator = {"string": "z.string().min(1)", "number": "z.number().int()", "boolean": "z.boolean()"}[ts_type]
        lines.append("  %s: %s," % (camel(name), validator))
    lines += ["});", "", "export const signUpSchema = z.object({", "  email: z.string().email(),",
              "  password: z.string().min(12).max(128),", "  passwordConfirmation: z.string(),", "});"]
    return lines


def typescript_route(entity):
    return [
        "import { Router } from 'express';",
        "import { pool } from '../db';",
        "",
        "export const %sRouter = Router();" % camel(entity),
        "",
        "%sRouter.get('/:id', async (req, res) => {" % camel(entity),
        "  const { rows } = await pool.query('SELECT * FROM %ss WHERE id = $1', [req.params.id]);" % entity,
        "  if (rows.length === 0) return res.status(404).json({ error: 'not found' });",
        "  return res.json(rows[0]);",
        "});",
        "",
        "%sRouter.delete('/:id', async (req, res) => {" % camel(entity),
        "  await pool.query('DELETE FROM %ss WHERE id = $1 AND team_id = $2', [req.params.id, req.user.teamId]);" % entity,
        "  res.status(204).end();",
        "});",
    ]


def typescript_test(entity):
    return [
        "import { describe, expect, it } from 'vitest';",
        "import { %sSchema } from '../schemas/%s';" % (camel(entity), entity),
        "",
        "describe('%sSchema', () => {" % camel(entity),
        "  it('rejects a missing id', () => {",
        "    expect(%sSchema.safeParse({}).success).toBe(false);" % camel(entity),
        "  });",
        "});",
    ]


def python_model(entity, fields):
    model = pascal(entity)
    lines = ["from django.db import models", "", "", "class %s(models.Model):" % model]
    for name, _, python_type, _ in fields:
        field = {"str": "models.CharField(max_length=200)", "int": "models.IntegerField(default=0)",
                 "date": "models.DateField(null=True)", "UUID": "models.UUIDField()",
                 "bool": "models.BooleanField(default=False)"}[python_type]
        lines.append("    %s = %s" % (name, field))
    lines += ["    created_at = models.DateTimeField(auto_now_add=True)", "", "    class Meta:",
              "        ordering = [\"-created_at\"]", "", "    def __str__(self):",
              "        return f\"%s {self.pk}\"" % model]
    return lines


def python_service(entity):
    return [
        "import logging",
        "",
        "from .db import connection",
        "",
        "logger = logging.getLogger(__name__)",
        "",
        "",
        "def find_%s(%s_id):" % (entity, entity),
        "    with connection.cursor() as cursor:",
        "        cursor.execute(\"SELECT * FROM %ss WHERE id = %%s\", (%s_id,))" % (entity, entity),
        "        return cursor.fetchone()",
        "",
        "",
        "def archive_%ss(team_id, before):" % entity,
        "    with connection.cursor() as cursor:",
        "        cursor.execute(",
        "            \"UPDATE %ss SET archived = TRUE WHERE team_id = %%s AND created_at < %%s\"," % entity,
        "            (team_id, before),",
        "        )",
        "        logger.info(\"archived %%d %ss for team %%s\", cursor.rowcount, team_id)" % entity,
        "        return cursor.rowcount",
    ]


def python_api(entity):
    return [
        "from fastapi import APIRouter, Depends, HTTPException",
        "from fastapi.security import OAuth2PasswordBearer",
        "",
        "from . import service",
        "",
        "router = APIRouter(prefix=\"/%ss\")" % entity,
        "oauth2_scheme = OAuth2PasswordBearer(tokenUrl=\"token\")",
        "",
        "",
        "@router.get(\"/{item_id}\")",
        "async def read_%s(item_id: int, token: str = Depends(oauth2_scheme)):" % entity,
        "    item = service.find_%s(item_id)" % entity,
        "    if item is None:",
        "        raise HTTPException(status_code=404, detail=\"%s not found\")" % entity,
        "    return item",
    ]


def python_tests(entity):
    return [
        "import pytest",
        "",
        "from app import service",
        "",
        "",
        "@pytest.mark.django_db",
        "def test_find_missing_%s_returns_none():" % entity,
        "    assert service.find_%s(999999) is None" % entity,
        "",
        "",
        "def test_archive_counts_rows(monkeypatch):",
        "    monkeypatch.setattr(service, \"connection\", FakeConnection(rowcount=3))",
        "    assert service.archive_%ss(team_id=1, before=\"2024-01-01\") == 3" % entity,
    ]


def python_data_job():
    return [
        "import hashlib",
        "from pathlib import Path",
        "",
        "import pandas as pd",
        "",
        "",
        "def file_digest(path: Path) -> str:",
        "    return hashlib.sha256(path.read_bytes()).hexdigest()",
        "",
        "",
        "def monthly_totals(frame: pd.DataFrame) -> pd.DataFrame:",
        "    frame = frame.assign(month=frame[\"created_at\"].dt.to_period(\"M\"))",
        "    return frame.groupby([\"month\", \"currency\"], as_index=False)[\"amount_cents\"].sum()",
    ]


def go_handler(entity, fields):
    struct = pascal(entity)
    lines = ["package api", "", "import (", "\t\"database/sql\"", "\t\"encoding/json\"", "\t\"net/http\"", ")", "",
             "type %s struct {" % struct, "\tID string `json:\"id\"`"]
    go_types = {"string": "string", "number": "int64", "boolean": "bool"}
    for name, _, _, ts_type in fields:
        lines.append("\t%s %s `json:\"%s\"`" % (pascal(name), go_types[ts_type], name))
    lines += ["}", "", "type %sHandler struct {" % struct, "\tDB *sql.DB", "}", "",
              "func (h *%sHandler) Get(w http.ResponseWriter, r *http.Request) {" % struct,
              "\tid := r.PathValue(\"id\")",
              "\trow := h.DB.QueryRowContext(r.Context(), \"SELECT id FROM %ss WHERE id = $1\", id)" % entity,
              "\tvar item %s" % struct,
              "\tif err := row.Scan(&item.ID); err != nil {",
              "\t\thttp.Error(w, \"not found\", http.StatusNotFound)",
              "\t\treturn",
              "\t}",
              "\tw.Header().Set(\"Content-Type\", \"application/json\")",
              "\t_ = json.NewEncoder(w).Encode(item)",
              "}"]
    return lines


def go_config():
    return [
        "package config",
        "",
        "import (",
        "\t\"fmt\"",
        "\t\"os\"",
        ")",
        "",
        "type Config struct {",
        "\tDatabaseURL string",
        "\tAPIToken    string",
        "\tListenAddr  string",
        "}",
        "",
        "func Load() (Config, error) {",
        "\tcfg := Config{",
        "\t\tDatabaseURL: os.Getenv(\"DATABASE_URL\"),",
        "\t\tAPIToken:    os.Getenv(\"API_TOKEN\"),",
        "\t\tListenAddr:  \":8080\",",
        "\t}",
        "\tif cfg.DatabaseURL == \"\" {",
        "\t\treturn cfg, fmt.Errorf(\"DATABASE_URL is required\")",
        "\t}",
        "\treturn cfg, nil",
        "}",
    ]


def go_test(entity):
    struct = pascal(entity)
    return [
        "package api", "", "import \"testing\"", "",
        "func Test%sJSON(t *testing.T) {" % struct,
        "\tcases := []struct{ name, id string }{{\"empty\", \"\"}, {\"uuid\", \"%s\"}}" % random_uuid(),
        "\tfor _, c := range cases {",
        "\t\tt.Run(c.name, func(t *testing.T) {",
        "\t\t\tif got := (%s{ID: c.id}).ID; got != c.id {" % struct,
        "\t\t\t\tt.Fatalf(\"got %q\", got)",
        "\t\t\t}",
        "\t\t})",
        "\t}",
        "}",
    ]


def sql_migration(entity, fields):
    sql_types = {"String": "TEXT NOT NULL", "i64": "BIGINT NOT NULL DEFAULT 0", "NaiveDate": "DATE",
                 "i32": "INTEGER NOT NULL DEFAULT 0", "Uuid": "UUID NOT NULL", "bool": "BOOLEAN NOT NULL DEFAULT FALSE"}
    lines = ["CREATE TABLE %ss (" % entity, "    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),"]
    lines += ["    %s %s," % (name, sql_types[rust_type]) for name, rust_type, _, _ in fields]
    lines += ["    created_at TIMESTAMPTZ NOT NULL DEFAULT now()", ");", "",
              "CREATE INDEX %ss_created_at ON %ss (created_at);" % (entity, entity)]
    return lines


def sql_add_column(entity):
    return ["ALTER TABLE %ss ADD COLUMN archived_at TIMESTAMPTZ;" % entity,
            "UPDATE %ss SET archived_at = now() WHERE archived;" % entity,
            "CREATE INDEX CONCURRENTLY %ss_archived_at ON %ss (archived_at) WHERE archived_at IS NOT NULL;" % (entity, entity)]


def github_ci_workflow():
    return [
        "name: CI",
        "on:",
        "  pull_request:",
        "  push:",
        "    branches: [main]",
        "permissions:",
        "  contents: read",
        "jobs:",
        "  test:",
        "    runs-on: ubuntu-latest",
        "    steps:",
        "      - uses: actions/checkout@%s # v4" % hex_text(40),
        "      - uses: actions/setup-node@v4",
        "        with:",
        "          node-version: 20",
        "          registry-url: https://registry.npmjs.org",
        "      - run: npm ci",
        "      - run: npm test -- --coverage",
        "      - run: npm publish --dry-run",
        "        env:",
        "          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}",
        "          CODECOV_TOKEN: ${{ secrets.CODECOV_TOKEN }}",
    ]


def kubernetes_deployment(service):
    return [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata:",
        "  name: %s" % service,
        "spec:",
        "  replicas: %d" % RANDOM.randint(2, 6),
        "  template:",
        "    spec:",
        "      containers:",
        "        - name: %s" % service,
        "          image: ghcr.io/acme/%s@sha256:%s" % (service, hex_text(64)),
        "          env:",
        "            - name: DATABASE_PASSWORD",
        "              valueFrom:",
        "                secretKeyRef:",
        "                  name: %s-db" % service,
        "                  key: password",
        "            - name: API_TOKEN",
        "              valueFrom:",
        "                secretKeyRef: { name: %s-api, key: token }" % service,
        "          resources:",
        "            limits: { cpu: 500m, memory: 512Mi }",
    ]


def docker_compose():
    return [
        "services:",
        "  api:",
        "    build: .",
        "    environment:",
        "      DATABASE_URL: postgres://postgres:postgres@db:5432/app",
        "      JWT_SECRET: ${JWT_SECRET:?set JWT_SECRET}",
        "    depends_on: [db]",
        "  db:",
        "    image: postgres:16",
        "    environment:",
        "      POSTGRES_PASSWORD: postgres",
    ]


def markdown_readme(service):
    return [
        "# %s" % service.title(),
        "",
        "## Running locally",
        "",
        "1. Copy `.env.example` to `.env` and fill in `API_TOKEN=<your-token>`.",
        "2. Start the database: `docker compose up -d db`.",
        "3. Run `cargo run -- serve` and open http://localhost:8080.",
        "",
        "The API expects `Authorization: Bearer <token>` on every request; tokens expire",
        "after `TOKEN_TTL_SECONDS` (default 3600).",
        "",
        "Never commit real credentials: the secret scanner will flag them.",
    ]


def changelog():
    version = "%d.%d.%d" % (RANDOM.randint(0, 3), RANDOM.randint(0, 20), RANDOM.randint(0, 9))
    return ["## %s" % version, "", "- Fix token refresh when the session expired.",
            "- Add `--dry-run` to the export command.", "- Password reset e-mails are sent once."]


def cargo_lock_packages(count):
    lines = []
    for _ in range(count):
        name = pick(["serde", "tokio", "hyper", "regex", "uuid", "chrono", "tracing", "bytes", "mio", "rustls"]) + pick(["", "-core", "-util", "-macros"])
        lines += ["", "[[package]]", "name = \"%s\"" % name, "version = \"%d.%d.%d\"" % (RANDOM.randint(0, 2), RANDOM.randint(0, 40), RANDOM.randint(0, 20)),
                  "source = \"registry+https://github.com/rust-lang/crates.io-index\"", "checksum = \"%s\"" % hex_text(64)]
    return lines


def npm_lock_packages(count):
    lines = []
    for _ in range(count):
        name = pick(["react", "zod", "vite", "esbuild", "lodash", "date-fns", "axios", "clsx"]) + pick(["", "-dom", "-plugin"])
        version = "%d.%d.%d" % (RANDOM.randint(0, 18), RANDOM.randint(0, 30), RANDOM.randint(0, 9))
        lines += ["    \"node_modules/%s\": {" % name, "      \"version\": \"%s\"," % version,
                  "      \"resolved\": \"https://registry.npmjs.org/%s/-/%s-%s.tgz\"," % (name, name, version),
                  "      \"integrity\": \"sha512-%s\"," % base64_text(64), "      \"license\": \"MIT\"", "    },"]
    return lines


def go_sum_lines(count):
    lines = []
    for _ in range(count):
        module = "github.com/%s/%s" % (pick(["google", "stretchr", "jackc", "spf13", "rs"]), pick(["uuid", "testify", "pgx", "cobra", "zerolog"]))
        version = "v%d.%d.%d" % (RANDOM.randint(0, 5), RANDOM.randint(0, 20), RANDOM.randint(0, 9))
        lines += ["%s %s h1:%s" % (module, version, base64_text(32)), "%s %s/go.mod h1:%s" % (module, version, base64_text(32))]
    return lines


def poetry_lock(count):
    lines = []
    for _ in range(count):
        name = pick(["httpx", "pydantic", "sqlalchemy", "pytest", "django", "celery"])
        lines += ["", "[[package]]", "name = \"%s\"" % name, "version = \"%d.%d.%d\"" % (RANDOM.randint(0, 5), RANDOM.randint(0, 20), RANDOM.randint(0, 9)),
                  "files = [", "    {file = \"%s.whl\", hash = \"sha256:%s\"}," % (name, hex_text(64)), "]"]
    return lines


def css_with_data_uri():
    return [".logo {", "  width: 32px;", "  height: 32px;",
            "  background-image: url(\"data:image/png;base64,%s\");" % base64_text(180), "}"]


def terraform_database():
    return [
        "variable \"db_password\" {",
        "  type      = string",
        "  sensitive = true",
        "}",
        "",
        "resource \"aws_db_instance\" \"main\" {",
        "  identifier        = \"app-main\"",
        "  engine            = \"postgres\"",
        "  instance_class    = \"db.t4g.medium\"",
        "  username          = \"app\"",
        "  password          = var.db_password",
        "  storage_encrypted = true",
        "}",
    ]


def clean_pull_requests(count):
    prs = []
    builders = []

    def builder(function):
        builders.append(function)
        return function

    @builder
    def rust_feature():
        entity = pick(ENTITIES)
        fields = fields_for()
        crate = pick(SERVICES)
        return "Rust: %s storage" % entity, [
            {"path": "crates/%s/src/%s.rs" % (crate, entity), "after": rust_entity_module(entity, fields) + ["", "#[cfg(test)]", "mod tests {"] + ["    " + line if line else "" for line in rust_tests(entity)] + ["}"]},
            {"path": "crates/%s/migrations/%s_create_%ss.sql" % (crate, digits(14), entity), "after": sql_migration(entity, fields)},
        ]

    @builder
    def rust_auth():
        crate = pick(SERVICES)
        before = ["//! Bearer-token authentication for the HTTP API.", "", "use axum::http::HeaderMap;"]
        return "Rust: bearer auth and config", [
            {"path": "crates/%s/src/auth.rs" % crate, "before": before, "after": rust_auth_middleware()},
            {"path": "crates/%s/tests/auth.rs" % crate, "after": ["use %s::auth::bearer_token;" % crate, "", "#[test]", "fn missing_header_is_unauthorized() {", "    assert!(bearer_token(&Default::default()).is_err());", "}"]},
        ]

    @builder
    def rust_passwords():
        crate = pick(SERVICES)
        return "Rust: argon2 password hashing", [
            {"path": "crates/%s/src/password.rs" % crate, "after": rust_password_module() + ["", "#[cfg(test)]", "mod tests {", "    #[test]", "    fn hashes_verify() {", "        let stored = super::hash_password(\"correct horse battery staple\").unwrap();", "        assert!(super::verify_password(\"correct horse battery staple\", &stored));", "    }", "}"]},
        ]

    @builder
    def rust_modify_struct():
        entity = pick(ENTITIES)
        fields = fields_for()
        extra = [field for field in FIELDS if field not in fields][:1]
        path = "crates/%s/src/%s.rs" % (pick(SERVICES), entity)
        return "Rust: add a field", [{"path": path, "before": rust_entity_module(entity, fields), "after": rust_entity_module(entity, fields + extra)}]

    @builder
    def typescript_feature():
        entity = pick(ENTITIES)
        fields = fields_for()
        return "TypeScript: %s list and schema" % entity, [
            {"path": "web/src/components/%sList.tsx" % pascal(entity), "after": typescript_component(entity, fields)},
            {"path": "web/src/schemas/%s.ts" % entity, "after": typescript_schema(entity, fields)},
            {"path": "web/src/schemas/%s.test.ts" % entity, "after": typescript_test(entity)},
        ]

    @builder
    def typescript_client_change():
        before = typescript_client()[:7]
        return "TypeScript: API client with bearer header", [{"path": "web/src/api/client.ts", "before": before, "after": typescript_client()}]

    @builder
    def typescript_server_route():
        entity = pick(ENTITIES)
        return "TypeScript: Express route", [
            {"path": "server/src/routes/%s.ts" % entity, "after": typescript_route(entity)},
            {"path": "server/src/routes/%s.spec.ts" % entity, "after": ["import request from 'supertest';", "import { app } from '../app';", "", "it('404s on a missing %s', async () => {" % entity, "  await request(app).get('/%ss/nope').expect(404);" % entity, "});"]},
        ]

    @builder
    def python_feature():
        entity = pick(ENTITIES)
        fields = fields_for()
        app = pick(SERVICES)
        return "Python: %s model, service and API" % entity, [
            {"path": "%s/models.py" % app, "after": python_model(entity, fields)},
            {"path": "%s/service.py" % app, "after": python_service(entity)},
            {"path": "%s/api.py" % app, "after": python_api(entity)},
            {"path": "%s/tests/test_service.py" % app, "after": python_tests(entity)},
        ]

    @builder
    def python_settings_change():
        app = pick(SERVICES)
        before = python_settings(app, ["SECRET_KEY = os.environ[\"SECRET_KEY\"]"])
        after = python_settings(app, ["SECRET_KEY = os.environ[\"SECRET_KEY\"]", "STRIPE_API_KEY = os.environ.get(\"STRIPE_API_KEY\", \"\")",
                                      "PASSWORD_RESET_TIMEOUT = 60 * 60 * 24", "SESSION_COOKIE_SECURE = True"])
        return "Python: settings from the environment", [{"path": "%s/settings.py" % app, "before": before, "after": after}]

    @builder
    def python_data():
        return "Python: monthly totals job", [
            {"path": "jobs/monthly_totals.py", "after": python_data_job()},
            {"path": "jobs/tests/test_monthly_totals.py", "after": ["from jobs.monthly_totals import file_digest", "", "def test_digest_is_hex(tmp_path):", "    path = tmp_path / \"x\"", "    path.write_bytes(b\"abc\")", "    assert file_digest(path) == \"%s\"" % hex_text(64)]},
        ]

    @builder
    def go_feature():
        entity = pick(ENTITIES)
        fields = fields_for()
        return "Go: %s handler" % entity, [
            {"path": "internal/api/%s.go" % entity, "after": go_handler(entity, fields)},
            {"path": "internal/api/%s_test.go" % entity, "after": go_test(entity)},
        ]

    @builder
    def go_configuration():
        return "Go: configuration from the environment", [{"path": "internal/config/config.go", "after": go_config()}]

    @builder
    def yaml_ci():
        return "CI workflow", [{"path": ".github/workflows/ci.yml", "after": github_ci_workflow()}]

    @builder
    def yaml_kubernetes():
        service = pick(SERVICES)
        before = kubernetes_deployment(service)
        after = [line.replace("replicas: ", "replicas: 1") if "replicas" in line else line for line in before]
        return "Kubernetes deployment", [{"path": "k8s/%s/deployment.yaml" % service, "before": before, "after": after}]

    @builder
    def compose_and_terraform():
        return "docker compose and Terraform", [
            {"path": "docker-compose.yml", "after": docker_compose()},
            {"path": "infra/database.tf", "after": terraform_database()},
        ]

    @builder
    def sql_change():
        entity = pick(ENTITIES)
        return "SQL: add archived_at", [{"path": "migrations/%s_add_archived_at_to_%ss.sql" % (digits(14), entity), "after": sql_add_column(entity)}]

    @builder
    def docs_change():
        service = pick(SERVICES)
        return "Docs: README and changelog", [
            {"path": "services/%s/README.md" % service, "after": markdown_readme(service)},
            {"path": "CHANGELOG.md", "before": ["# Changelog", ""], "after": ["# Changelog", ""] + changelog()},
        ]

    @builder
    def cargo_dependency_update():
        packages = cargo_lock_packages(RANDOM.randint(2, 8))
        return "Rust: dependency update", [
            {"path": "Cargo.toml", "before": ["[workspace.dependencies]", "serde = \"1\"", "tokio = \"1.40\""],
             "after": ["[workspace.dependencies]", "serde = \"1\"", "tokio = \"1.41\""]},
            {"path": "Cargo.lock", "before": ["version = 4"], "after": ["version = 4"] + packages},
        ]

    @builder
    def npm_dependency_update():
        return "npm: lockfile refresh", [
            {"path": "web/package-lock.json", "before": ["{", "  \"packages\": {", "  }", "}"],
             "after": ["{", "  \"packages\": {"] + npm_lock_packages(RANDOM.randint(2, 6)) + ["  }", "}"]},
        ]

    @builder
    def go_dependency_update():
        return "Go: add uuid", [
            {"path": "go.mod", "before": ["module github.com/acme/api", "", "go 1.22", "", "require (", "\tgithub.com/jackc/pgx/v5 v5.6.0", ")"],
             "after": ["module github.com/acme/api", "", "go 1.22", "", "require (", "\tgithub.com/google/uuid v1.6.0", "\tgithub.com/jackc/pgx/v5 v5.6.0", ")"]},
            {"path": "go.sum", "before": [], "after": go_sum_lines(RANDOM.randint(1, 4))},
        ]

    @builder
    def python_dependency_update():
        return "Python: poetry update", [
            {"path": "pyproject.toml", "before": ["[tool.poetry.dependencies]", "python = \"^3.12\"", "httpx = \"^0.26\""],
             "after": ["[tool.poetry.dependencies]", "python = \"^3.12\"", "httpx = \"^0.27\""]},
            {"path": "poetry.lock", "before": [], "after": poetry_lock(RANDOM.randint(2, 5))},
        ]

    @builder
    def frontend_styles():
        return "CSS: inline logo", [{"path": "web/src/styles/logo.css", "after": css_with_data_uri()}]

    @builder
    def i18n_strings():
        return "i18n strings", [{"path": "web/src/i18n/%s.json" % pick(["en", "fr", "de"]), "after": [
            "{", "  \"login.passwordLabel\": \"Password\",", "  \"login.tokenExpired\": \"Your session has expired\",",
            "  \"settings.apiKeyHelp\": \"Create an API key under Settings, then paste it here\",",
            "  \"settings.secretRotated\": \"The secret was rotated on {date}\"", "}"]}]

    @builder
    def env_example():
        return "Document environment variables", [{"path": ".env.example", "after": [
            "DATABASE_URL=postgres://postgres:postgres@localhost:5432/app", "API_TOKEN=", "SECRET_KEY=change-me",
            "STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx", "SLACK_WEBHOOK_URL=https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"]}]

    @builder
    def renamed_file():
        entity = pick(ENTITIES)
        fields = fields_for()
        content = rust_entity_module(entity, fields)
        return "Rust: move module", [{"path": "crates/core/src/model/%s.rs" % entity, "previous_path": "crates/core/src/%s.rs" % entity,
                                      "status": "renamed", "before": content, "after": content[:-1] + ["}", ""]}]

    @builder
    def large_generated_feature():
        entity = pick(ENTITIES)
        files = []
        for index in range(RANDOM.randint(3, 7)):
            name = "%s_%d" % (entity, index)
            files.append({"path": "crates/%s/src/%s.rs" % (pick(SERVICES), name), "after": rust_entity_module(name, fields_for()) * 3})
        files.append({"path": "crates/%s/tests/%s.rs" % (pick(SERVICES), entity), "after": rust_tests(entity)})
        return "Rust: a larger feature", files

    @builder
    def rust_constants():
        crate = pick(SERVICES)
        return "Rust: header, cookie and policy constants", [{"path": "crates/%s/src/constants.rs" % crate, "after": [
            "//! Names shared by the HTTP layer.",
            "pub const API_KEY_HEADER: &str = \"X-Api-Key\";",
            "pub const ACCESS_TOKEN_COOKIE: &str = \"__Host-access_token\";",
            "pub const TOKEN_PREFIX: &str = \"Bearer \";",
            "pub const PASSWORD_MIN_LENGTH: usize = 12;",
            "pub const SECRET_ROTATION_DAYS: u32 = 90;",
            "pub const CSRF_TOKEN_FIELD: &str = \"csrf_token\";",
            "pub const EMPTY_SHA256: &str = \"%s\";" % hex_text(64),
            "pub const SESSION_SECRET_ENV: &str = \"SESSION_SECRET\";",
            "pub const REFRESH_TOKEN_TTL_SECONDS: u64 = 60 * 60 * 24 * 30;"]}]

    @builder
    def rust_inline_unit_tests():
        crate = pick(SERVICES)
        entity = pick(ENTITIES)
        fake_token = random_text(ALPHANUMERIC, 24, need_digit=True)
        fake_password = random_text(ALPHANUMERIC, 16, need_digit=True)
        body = [
            "pub fn mask_token(token: &str) -> String {",
            "    let visible: String = token.chars().take(4).collect();",
            "    format!(\"{visible}…\")",
            "}",
            "",
            "#[cfg(test)]",
            "mod tests {",
            "    use super::*;",
            "",
            "    #[test]",
            "    fn masks_all_but_four_characters() {",
            "        let token = \"%s\";" % fake_token,
            "        assert_eq!(mask_token(token).chars().count(), 5);",
            "    }",
            "",
            "    #[test]",
            "    fn %s_password_is_not_logged() {" % entity,
            "        let password = \"%s\";" % fake_password,
            "        assert!(!format!(\"{:?}\", mask_token(password)).contains(password));",
            "    }",
            "}",
        ]
        return "Rust: token masking with unit tests", [{"path": "crates/%s/src/masking.rs" % crate, "after": body}]

    @builder
    def python_tricky_settings():
        app = pick(SERVICES)
        return "Python: auth settings", [{"path": "%s/auth_settings.py" % app, "after": [
            "from django.core.management.utils import get_random_secret_key",
            "",
            "SECRET_KEY = os.environ.get(\"SECRET_KEY\") or get_random_secret_key()",
            "TOKEN_URL = \"https://oauth2.googleapis.com/token\"",
            "PASSWORD_REGEX = r\"^(?=.*[A-Z])(?=.*\\d).{12,}$\"",
            "AUTH_PASSWORD_VALIDATORS = [{\"NAME\": \"django.contrib.auth.password_validation.MinimumLengthValidator\"}]",
            "SESSION_COOKIE_NAME = \"%s_session\"" % app,
            "",
            "def issue(user, refresh_token):",
            "    hashed_password = pwd_context.hash(user.password)",
            "    return {\"access_token\": create_access_token(user.id), \"refresh_token\": refresh_token, \"token_type\": \"bearer\"}"]}]

    @builder
    def typescript_public_keys():
        return "TypeScript: public client configuration", [{"path": "web/src/config/public.ts", "after": [
            "// Values that are public by design: they ship to every browser.",
            "export const stripePublishableKey = 'pk_live_%s';" % random_text(ALPHANUMERIC, 40),
            "export const recaptchaSiteKey = '6Lc%s';" % random_text(URL_SAFE, 37),
            "export const sentryDsn = 'https://%s@o%s.ingest.sentry.io/%s';" % (hex_text(32), digits(6), digits(7)),
            "export const posthogProjectToken = 'phc_%s';" % random_text(ALPHANUMERIC, 43),
            "export const tokenRefreshMarginSeconds = 60;",
            "export const secretsDocsUrl = 'https://docs.acme-corp.net/security/secrets';"]}]

    @builder
    def html_template():
        return "HTML: layout template", [{"path": "templates/layout.html", "after": [
            "<!doctype html>", "<html lang=\"en\">", "<head>",
            "  <meta name=\"csrf-token\" content=\"{{ csrf_token() }}\">",
            "  <script src=\"https://cdn.jsdelivr.net/npm/htmx.org@1.9.12\" integrity=\"sha384-%s\" crossorigin=\"anonymous\"></script>" % base64_text(48),
            "</head>", "<body>{% block content %}{% endblock %}</body>", "</html>"]}]

    @builder
    def webhook_example_payload():
        return "Docs: example webhook payload", [{"path": "docs/examples/push-event.json", "after": [
            "{", "  \"ref\": \"refs/heads/main\",", "  \"before\": \"%s\"," % hex_text(40), "  \"after\": \"%s\"," % hex_text(40),
            "  \"repository\": { \"id\": %s, \"node_id\": \"R_kgDO%s\", \"full_name\": \"acme/api\" }," % (digits(9), random_text(URL_SAFE, 8)),
            "  \"installation\": { \"id\": %s }," % digits(8),
            "  \"head_commit\": { \"id\": \"%s\", \"message\": \"Rotate the signing secret on schedule\" }" % hex_text(40), "}"]}]

    @builder
    def openapi_spec():
        return "OpenAPI: security schemes", [{"path": "api/openapi.yaml", "after": [
            "components:", "  securitySchemes:", "    bearerAuth:", "      type: http", "      scheme: bearer", "      bearerFormat: JWT",
            "    apiKeyAuth:", "      type: apiKey", "      in: header", "      name: X-API-Key",
            "  schemas:", "    TokenResponse:", "      type: object", "      properties:",
            "        access_token: { type: string }", "        refresh_token: { type: string }", "        expires_in: { type: integer }"]}]

    @builder
    def go_auth():
        return "Go: password hashing and token errors", [{"path": "internal/auth/password.go", "after": [
            "package auth", "", "import (", "\t\"errors\"", "", "\t\"golang.org/x/crypto/bcrypt\"", ")", "",
            "const tokenHeader = \"X-Auth-Token\"", "", "var ErrTokenExpired = errors.New(\"token expired\")", "",
            "type Credentials struct {", "\tEmail    string `json:\"email\" validate:\"required,email\"`",
            "\tPassword string `json:\"password\" validate:\"required,min=12\"`", "}", "",
            "func Hash(password string) ([]byte, error) {", "\treturn bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)", "}"]}]

    @builder
    def helm_values():
        service = pick(SERVICES)
        return "Helm values", [{"path": "charts/%s/values.yaml" % service, "after": [
            "image:", "  repository: ghcr.io/acme/%s" % service, "  tag: \"%s\"" % hex_text(7),
            "postgresql:", "  auth:", "    existingSecret: %s-db" % service, "    secretKeys:", "      userPasswordKey: password",
            "ingress:", "  tls:", "    - secretName: %s-tls" % service, "      hosts: [%s.acme-corp.net]" % service]}]

    @builder
    def ci_docker_login():
        return "CI: docker login", [{"path": ".github/workflows/docker.yml", "after": [
            "name: Docker", "on: { push: { tags: ['v*'] } }", "jobs:", "  push:", "    runs-on: ubuntu-latest", "    steps:",
            "      - uses: actions/checkout@v4",
            "      - run: echo \"${{ secrets.DOCKERHUB_TOKEN }}\" | docker login -u acme --password-stdin",
            "      - run: docker buildx build --push -t acme/api:${GITHUB_REF_NAME} ."]}]

    @builder
    def seed_migration():
        return "SQL: seed the admin role", [{"path": "migrations/%s_seed_roles.sql" % digits(14), "after": [
            "INSERT INTO roles (name, description) VALUES ('admin', 'Full access'), ('viewer', 'Read only');",
            "INSERT INTO users (email, password_hash, role) VALUES",
            "    ('bootstrap@acme-corp.net', '$argon2id$v=19$m=65536,t=3,p=4$%s$%s', 'admin');" % (base64_text(16).rstrip("="), base64_text(32).rstrip("=")),
            "DROP INDEX IF EXISTS users_email_lower;", "CREATE UNIQUE INDEX users_email_lower ON users (lower(email));"]}]

    @builder
    def requirements_with_hashes():
        return "Python: pinned requirements with hashes", [{"path": "requirements.txt", "before": ["django==5.0.6"], "after": [
            "django==5.0.6", "httpx==0.27.0 \\", "    --hash=sha256:%s \\" % hex_text(64), "    --hash=sha256:%s" % hex_text(64)]}]

    @builder
    def javascript_misc():
        return "JavaScript: misc utilities", [{"path": "web/src/utils/secrets-ui.js", "after": [
            "export const secretName = (env) => `${env}-db-credentials`;",
            "export function clearToken(el) {", "  el.innerHTML = '';", "  el.textContent = 'Token removed';", "}",
            "export const smtp = { auth: { user: 'notifications', pass: process.env.SMTP_PASSWORD } };",
            "export const isTokenExpired = (token) => Date.now() > token.expiresAt;",
            "export const matches = (pattern, input) => pattern.exec(input) !== null;"]}]

    while len(prs) < count:
        for build in builders:
            if len(prs) >= count:
                break
            description, files = build()
            seen = set()
            unique = []
            for specification in files:
                if specification["path"] not in seen:
                    seen.add(specification["path"])
                    unique.append(specification)
            prs.append(pull_request("clean-%03d-%s" % (len(prs) + 1, build.__name__.replace("_", "-")), description, unique))
    return prs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--output", default=DEFAULT_OUTPUT_DIRECTORY)
    arguments = parser.parse_args()
    RANDOM.seed(arguments.seed)
    output_directory = arguments.output
    os.makedirs(output_directory, exist_ok=True)
    for name in os.listdir(output_directory):
        if name.endswith(".json"):
            os.remove(os.path.join(output_directory, name))
    all_prs = positive_pull_requests() + negative_pull_requests() + clean_pull_requests(150)
    for pr in all_prs:
        with open(os.path.join(output_directory, pr["name"] + ".json"), "w") as handle:
            json.dump(pr, handle, indent=1, ensure_ascii=False)
            handle.write("\n")
    planted = sum(len(pr["expected_secrets"]) for pr in all_prs)
    negatives = sum(len(pr["negatives"]) for pr in all_prs)
    print("%d pull requests, %d planted secrets, %d negatives" % (len(all_prs), planted, negatives))


if __name__ == "__main__":
    main()
