"""Offline checks of the image and the Helm chart, run by scripts/check-deploy.sh.

Renders the chart with helm-python-sdk (Helm v4 as a library) for every values
combination under deploy/helm/companyos/ci/, lints it, validates the manifests against
the Kubernetes schemas (kubernetes-validate), checks the Prometheus Operator's objects
by their structure, proves that values.schema.json and the templates refuse bad values,
runs promtool on the alerts and their unit tests and hadolint on the Dockerfile, and
checks that the chart speaks of settings, metrics and routes the code really has.

Usage: python deploy/check_deploy.py --promtool PATH --hadolint PATH (from the
repository root). Prints one line per check and ends with "N passed, N failed".
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef]

import helm_python as helm
import kubernetes_validate
import yaml

ROOT = Path.cwd()
CHART = ROOT / "deploy/helm/companyos"
KUBE_VERSION = "1.33.0"
RELEASE = "companyos"
NAMESPACE = "companyos"
# Kinds of the Prometheus Operator: no schema in kubernetes-validate, checked here.
CRD_KINDS = {"ServiceMonitor", "PrometheusRule"}
# Settings the chart sets itself (environment, Secret, mounted files), never from
# `config`; every other setting of the node must be allowed in `config`.
CHART_OWNED = {
    "listen": "COMPANYOS_LISTEN (the container port)",
    "data_dir": "COMPANYOS_DATA_DIR (the data volume)",
    "database.url": "externalDatabase.url, in the Secret",
    "cluster.enabled": "cluster.enabled",
    "cluster.node": "the pod's name",
    "cluster.advertise_url": "the pod's name in the headless Service",
    "cluster.peer_port": "cluster.peerPort",
    "cluster.cookie": "secrets.clusterCookie",
    "cluster.tls_cert_file": "cluster.tls.existingSecret",
    "cluster.tls_key_file": "cluster.tls.existingSecret",
    "cluster.tls_ca_file": "cluster.tls.existingSecret",
    "cluster.redis_url": "externalRedis.url, in the Secret",
    "cluster.amqp_url": "externalRabbitmq.url, in the Secret",
    "auth.jwt_secret": "secrets.jwtSecret",
    "auth.master_key": "secrets.masterKey",
    "auth.github_client_secret": "secrets.githubClientSecret",
    "metrics.token": "secrets.metricsToken",
    "search.embeddings_api_key": "secrets.embeddingsApiKey",
    "mail.smtp_url": "secrets.smtpUrl",
    "llm.api_key": "secrets.llmApiKey (as llm.api_key_file)",
    "llm.api_key_file": "secrets.llmApiKey",
    "archive.s3_secret_access_key": "secrets.archiveS3SecretAccessKey",
}

results: list[tuple[str, bool]] = []


class CheckFailed(Exception):
    pass


def check(name: str):
    """Runs the decorated function as one check: passed, or failed with its reason."""

    def run(function):
        print(f"==> {name}", flush=True)
        try:
            function()
        except CheckFailed as error:
            print(f"    FAILED: {error}", flush=True)
            results.append((name, False))
        except Exception:  # an unexpected error fails the check, loudly
            print("    FAILED with an unexpected error:", flush=True)
            traceback.print_exc(file=sys.stdout)
            results.append((name, False))
        else:
            results.append((name, True))
        return function

    return run


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


# --- What the code says ---------------------------------------------------------------


def settings() -> dict[str, str]:
    """The node's settings (key → environment variable) from cluster/src/config.rs."""
    text = (ROOT / "cluster/src/config.rs").read_text()
    table = text[text.index("pub const SETTINGS") :]
    pairs = re.findall(r'key:\s*"([^"]+)",\s*env:\s*"([^"]+)"', table)
    if len(pairs) < 30:
        raise CheckFailed(f"found only {len(pairs)} settings in cluster/src/config.rs")
    return dict(pairs)


def config_file_env() -> str:
    text = (ROOT / "cluster/src/config.rs").read_text()
    match = re.search(r'pub const CONFIG_FILE_ENV: &str = "([^"]+)"', text)
    if not match:
        raise CheckFailed("CONFIG_FILE_ENV not found in cluster/src/config.rs")
    return match.group(1)


def other_env() -> set[str]:
    text = (ROOT / "cluster/src/config.rs").read_text()
    match = re.search(r"const OTHER_ENV: &\[&str\] = &\[([^\]]*)\]", text)
    return set(re.findall(r'"([^"]+)"', match.group(1))) if match else set()


def code_metrics() -> set[str]:
    """Every companyos_* metric name written as a string in the crates' sources."""
    names: set[str] = set()
    for path in list((ROOT / "crates").glob("*/src/**/*.rs")) + list((ROOT / "cluster/src").glob("**/*.rs")):
        names.update(re.findall(r'"(companyos_[a-z0-9_]+)"', path.read_text()))
    return names


def drain_limit_secs() -> int:
    text = (ROOT / "crates/supervisors/src/runtime.rs").read_text()
    match = re.search(r"const DRAIN_LIMIT: Duration = Duration::from_secs\((\d+)\)", text)
    if not match:
        raise CheckFailed("DRAIN_LIMIT not found in crates/supervisors/src/runtime.rs")
    return int(match.group(1))


# --- Rendering ------------------------------------------------------------------------


def values_sets() -> dict[str, dict]:
    sets = {"default": {}}
    for path in sorted((CHART / "ci").glob("*-values.yaml")):
        sets[path.name.removesuffix("-values.yaml")] = yaml.safe_load(path.read_text()) or {}
    return sets


def render(values: dict, release: str = RELEASE) -> list[dict]:
    with helm.Chart.load(str(CHART)) as chart:
        rendered = chart.render(values, name=release, namespace=NAMESPACE)
    documents = []
    for name, text in sorted(rendered.items()):
        if not name.endswith((".yaml", ".yml")):
            continue
        for document in yaml.safe_load_all(text):
            if document:
                document.setdefault("metadata", {})
                documents.append(document)
    return documents


def of_kind(documents: list[dict], kind: str) -> list[dict]:
    return [document for document in documents if document.get("kind") == kind]


def one(documents: list[dict], kind: str, name: str | None = None) -> dict:
    found = [d for d in of_kind(documents, kind) if name is None or d["metadata"]["name"] == name]
    expect(len(found) == 1, f"expected one {kind}{' ' + name if name else ''}, found {len(found)}")
    return found[0]


def container(documents: list[dict]) -> dict:
    statefulset = one(documents, "StatefulSet")
    containers = statefulset["spec"]["template"]["spec"]["containers"]
    return next(c for c in containers if c["name"] == "companyos")


def companyos_toml(documents: list[dict]) -> dict:
    configmap = one(documents, "ConfigMap", RELEASE)
    return tomllib.loads(configmap["data"]["companyos.toml"])


def flatten(table: dict, prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


# --- The checks -----------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--promtool", required=True)
    parser.add_argument("--hadolint", required=True)
    args = parser.parse_args()

    known = settings()
    known_env = set(known.values()) | {config_file_env()} | other_env()
    sets = values_sets()
    rendered: dict[str, list[dict]] = {}
    work = Path(tempfile.mkdtemp(prefix="companyos-deploy-"))

    print(f"helm {helm.helm_sdk_version()} (helm-python-sdk {helm.__version__}), "
          f"kubernetes-validate {importlib.metadata.version('kubernetes-validate')} "
          f"against Kubernetes {KUBE_VERSION}; values sets: {', '.join(sets)}")

    @check("hadolint Dockerfile")
    def _():
        run = subprocess.run([args.hadolint, "--config", ".hadolint.yaml", "Dockerfile"],
                             capture_output=True, text=True)
        expect(run.returncode == 0, f"hadolint:\n{run.stdout}{run.stderr}")

    @check("the Dockerfile builds what the tests build and runs as the chart expects")
    def _():
        text = (ROOT / "Dockerfile").read_text()
        froms = re.findall(r"^FROM\s+(\S+)", text, re.M)
        expect(len(froms) >= 3, f"expected a multi-stage build, found FROM {froms}")
        for image in froms:
            expect(":" in image.split("/")[-1] and not image.endswith(":latest"),
                   f"base image {image} is not pinned by tag")
        rust = next((image for image in froms if image.startswith("rust:")), None)
        expect(rust is not None, "no rust: build stage")
        wanted = re.search(r'rust-version = "([0-9.]+)"', (ROOT / "Cargo.toml").read_text()).group(1)
        have = re.match(r"rust:([0-9.]+)", rust).group(1)
        as_tuple = lambda version: tuple(int(part) for part in version.split("."))
        expect(as_tuple(have)[:2] >= as_tuple(wanted)[:2],
               f"{rust} is older than the workspace's rust-version {wanted}")
        for step in ("npm ci", "npm run build", "cargo build --release --locked -p companyos"):
            expect(step in text, f"the Dockerfile does not run `{step}`")
        expect(text.index("npm run build") < text.index("cargo build"),
               "the console must be built before cargo embeds web/dist")
        expect(re.search(r'^ENTRYPOINT \["/usr/local/bin/companyos"\]', text, re.M) is not None,
               "ENTRYPOINT is not the companyos binary")
        expect(re.search(r'^CMD \["serve"\]', text, re.M) is not None, "CMD is not serve")
        user = re.findall(r"^USER\s+(\S+)", text, re.M)
        expect(user and not user[-1].startswith(("root", "0")), f"the image runs as {user}")
        for variable in re.findall(r"\b(COMPANYOS_[A-Z0-9_]+)=", text):
            if variable == "COMPANYOS_SKIP_CONSOLE_BUILD":  # the build script's, at build time
                expect(re.search(r"^ENV[^\n]*COMPANYOS_SKIP_CONSOLE_BUILD", text, re.M) is None,
                       "COMPANYOS_SKIP_CONSOLE_BUILD must not reach the runtime image: the node refuses it")
                continue
            expect(variable in known_env, f"the image sets {variable}, which the node refuses (not a setting)")
        expect("COMPANYOS_DATA_DIR=/var/lib/companyos/data" in text,
               "the image's data directory is not /var/lib/companyos/data")
        version = re.search(r'^version = "([^"]+)"', (ROOT / "Cargo.toml").read_text(), re.M).group(1)
        app_version = yaml.safe_load((CHART / "Chart.yaml").read_text())["appVersion"]
        expect(app_version == version, f"the chart's appVersion {app_version} is not the workspace's version {version}")
        ignore = (ROOT / ".dockerignore").read_text()
        for pattern in ("web/dist", "**/node_modules", "**/target"):
            expect(pattern in ignore, f".dockerignore does not leave out {pattern}")

    @check(f"helm lint --strict (Kubernetes {KUBE_VERSION}), every values set")
    def _():
        problems = []
        for name, values in sets.items():
            report = helm.lint(str(CHART), values, strict=True, kube_version=f"v{KUBE_VERSION}", namespace=NAMESPACE)
            errors = list(report.get("errors") or []) + [
                f"{m['path']}: {m['error']}" for m in report.get("messages") or [] if m["severity"] >= 2]
            if errors:
                problems.append(f"{name}: {errors}")
            print(f"    {name}: {len(report.get('messages') or [])} message(s), {len(errors)} warning(s) or error(s)")
        expect(not problems, "; ".join(problems))

    @check("render every values set")
    def _():
        for name, values in sets.items():
            rendered[name] = render(values)
            kinds = sorted(f"{d['kind']}/{d['metadata']['name']}" for d in rendered[name])
            print(f"    {name}: {', '.join(kinds)}")
        # Another release name composes its own names.
        other = render({}, release="ops")
        expect(one(other, "StatefulSet")["metadata"]["name"] == "ops-companyos",
               "release ops should name its StatefulSet ops-companyos")

    def kinds(name: str) -> set[str]:
        return {d["kind"] for d in rendered[name]}

    @check("the defaults render the workload, its Services, ConfigMap and PodDisruptionBudget, and nothing optional")
    def _():
        documents = rendered["default"]
        expect({"StatefulSet", "Service", "ConfigMap", "PodDisruptionBudget", "ServiceAccount"} <= kinds("default"),
               f"missing kinds in {sorted(kinds('default'))}")
        expect(len(of_kind(documents, "Service")) == 2, "expected the HTTP Service and the headless one")
        optional = {"HorizontalPodAutoscaler", "ServiceMonitor", "PrometheusRule", "Ingress", "NetworkPolicy", "Secret"}
        expect(not (kinds("default") & optional), f"the defaults render {sorted(kinds('default') & optional)}")
        headless = one(documents, "Service", "companyos-headless")
        expect(headless["spec"]["clusterIP"] == "None", "the peers' Service is not headless")
        expect(one(documents, "StatefulSet")["spec"]["serviceName"] == "companyos-headless",
               "the StatefulSet does not name the headless Service")

    @check("each option adds its objects (autoscaling, serviceMonitor, prometheusRule, ingress, existingSecret, cluster)")
    def _():
        expect("HorizontalPodAutoscaler" in kinds("autoscaling"), "autoscaling.enabled renders no HPA")
        hpa = one(rendered["autoscaling"], "HorizontalPodAutoscaler")
        expect(hpa["spec"]["scaleTargetRef"]["kind"] == "StatefulSet", "the HPA does not scale the StatefulSet")
        expect("replicas" not in one(rendered["autoscaling"], "StatefulSet")["spec"],
               "with autoscaling the StatefulSet must leave replicas to the HPA")
        expect(any(m["type"] == "External" for m in hpa["spec"]["metrics"]), "no task-queue metric in the HPA")
        expect("ServiceMonitor" in kinds("servicemonitor"), "metrics.serviceMonitor.enabled renders no ServiceMonitor")
        expect("PrometheusRule" in kinds("prometheusrule"), "metrics.prometheusRule.enabled renders no PrometheusRule")
        expect("Ingress" in kinds("ingress"), "ingress.enabled renders no Ingress")
        expect("Secret" not in kinds("existing-secret"), "with existingSecret the chart must create no Secret")
        volumes = one(rendered["existing-secret"], "StatefulSet")["spec"]["template"]["spec"]["volumes"]
        refs = {v["secret"]["secretName"] for v in volumes if v["name"] == "secret-files"}
        expect(refs == {"companyos-secrets"}, f"with existingSecret the nodes read {refs}")
        # Secrets are files read through _FILE variables, never values in the environment.
        for name, documents in rendered.items():
            env = container(documents)["env"]
            leaked = [e["name"] for e in env if "secretKeyRef" in e.get("valueFrom", {})]
            expect(not leaked, f"{name}: secrets in the environment: {leaked}")
            mounted = {item["path"] for v in one(documents, "StatefulSet")["spec"]["template"]["spec"]["volumes"]
                       if v["name"] == "secret-files" for item in v["secret"]["items"]}
            for e in env:
                if e["name"].endswith("_FILE") and e["value"].startswith("/etc/companyos/secrets/"):
                    expect(e["value"].rsplit("/", 1)[1] in mounted, f"{name}: {e['name']} names a file not mounted")
        cluster = one(rendered["cluster"], "StatefulSet")
        expect(cluster["spec"]["replicas"] == 3, "cluster-values.yaml asks for 3 nodes")
        expect("NetworkPolicy" in kinds("cluster"), "networkPolicy.enabled renders no NetworkPolicy")
        # The Ingress sets the public address when config.public_url is not given.
        toml = companyos_toml(rendered["ingress"])
        expect(toml.get("public_url") == "https://companyos.example.com",
               f"public_url from the Ingress host: {toml.get('public_url')}")

    @check(f"kubernetes-validate --strict against Kubernetes {KUBE_VERSION}")
    def _():
        problems = []
        count = 0
        for name, documents in rendered.items():
            for document in documents:
                if document["kind"] in CRD_KINDS:
                    continue
                count += 1
                try:
                    kubernetes_validate.validate(document, KUBE_VERSION, strict=True)
                except kubernetes_validate.SchemaNotFoundError:
                    problems.append(f"{name}: no schema for {document['apiVersion']} {document['kind']}")
                except kubernetes_validate.ValidationError as error:
                    path = ".".join(str(part) for part in error.path)
                    problems.append(f"{name}: {document['kind']}/{document['metadata']['name']}: {path}: {error.message}")
        print(f"    {count} manifests validated")
        expect(not problems, "\n      ".join([""] + problems))

    @check("ServiceMonitor and PrometheusRule by their structure")
    def _():
        for name in ("servicemonitor", "existing-secret"):
            documents = rendered[name]
            monitor = one(documents, "ServiceMonitor")
            expect(monitor["apiVersion"] == "monitoring.coreos.com/v1", "ServiceMonitor apiVersion")
            wanted = monitor["spec"]["selector"]["matchLabels"]
            services = [s for s in of_kind(documents, "Service")
                        if wanted.items() <= s["metadata"].get("labels", {}).items()]
            expect(len(services) == 1, f"{name}: the ServiceMonitor selects {len(services)} Services, not one")
            ports = {p["name"] for p in services[0]["spec"]["ports"]}
            for endpoint in monitor["spec"]["endpoints"]:
                expect(endpoint["port"] in ports, f"{name}: endpoint port {endpoint['port']} not in {ports}")
                expect(endpoint.get("path") == "/metrics", f"{name}: endpoint path {endpoint.get('path')}")
                credentials = endpoint.get("authorization", {}).get("credentials")
                expect(credentials is not None, f"{name}: a metrics token is set but the scrape sends none")
                secrets = of_kind(documents, "Secret")
                if secrets:
                    expect(credentials["key"] in secrets[0].get("data", {}),
                           f"{name}: the Secret has no {credentials['key']}")
            expect(monitor["spec"]["namespaceSelector"]["matchNames"] == [NAMESPACE], "namespaceSelector")
        rule = one(rendered["prometheusrule"], "PrometheusRule")
        expect(rule["apiVersion"] == "monitoring.coreos.com/v1", "PrometheusRule apiVersion")
        groups = rule["spec"]["groups"]
        expect(groups and all(g.get("name") and g.get("rules") for g in groups), "PrometheusRule groups")
        for group in groups:
            for r in group["rules"]:
                expect(("alert" in r) != ("record" in r) and r.get("expr"), f"rule {r}")
                if "alert" in r:
                    expect(r.get("labels", {}).get("severity") in ("critical", "warning", "info"),
                           f"{r['alert']}: severity")
                    expect(r.get("annotations", {}).get("summary") and r["annotations"].get("description"),
                           f"{r['alert']}: summary and description")
        (work / "rules.yaml").write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
        print(f"    {sum(len(g['rules']) for g in groups)} rules written for promtool")

    @check("environment variables, companyos.toml and mounted files are settings the node knows")
    def _():
        problems = []
        for name, documents in rendered.items():
            variables = [e["name"] for e in container(documents)["env"]]
            for variable in variables:
                setting_env = variable.removesuffix("_FILE") if variable not in known_env else variable
                if variable.startswith("COMPANYOS_") and setting_env not in known_env:
                    problems.append(f"{name}: {variable} is not a setting: the node would refuse to start")
            toml = flatten(companyos_toml(documents))
            for key in toml:
                if key not in known:
                    problems.append(f"{name}: companyos.toml sets {key}, which is not a setting")
            env_keys = {k for k, v in known.items() if v in variables}
            for key in env_keys & set(toml):
                problems.append(f"{name}: {key} is set both in companyos.toml and by {known[key]} (the variable wins)")
            file_env = next(e for e in container(documents)["env"] if e["name"] == config_file_env())
            mounts = {m["mountPath"] for m in container(documents)["volumeMounts"]}
            if file_env["value"] not in mounts:
                problems.append(f"{name}: {config_file_env()}={file_env['value']} is not mounted")
            for key, value in toml.items():
                if key.endswith("_file") and value:
                    if not any(str(value).startswith(mount.rstrip("/") + "/") for mount in mounts):
                        problems.append(f"{name}: {key}={value} is in no mounted volume")
            if toml.get("cluster.enabled"):
                names = {e["name"]: e for e in container(documents)["env"]}
                for variable in ("COMPANYOS_CLUSTER_NODE", "COMPANYOS_CLUSTER_ADVERTISE_URL"):
                    if variable not in names:
                        problems.append(f"{name}: cluster mode without {variable}")
                ports = {p["name"]: p["containerPort"] for p in container(documents)["ports"]}
                if ports.get("peer") != toml.get("cluster.peer_port"):
                    problems.append(f"{name}: the peer port {ports.get('peer')} is not cluster.peer_port")
        expect(not problems, "\n      ".join([""] + problems))

    @check("values.schema.json allows in `config` exactly the settings the chart does not set itself")
    def _():
        schema = json.loads((CHART / "values.schema.json").read_text())
        config = schema["properties"]["config"]
        allowed = set()
        for key, spec in config["properties"].items():
            if spec.get("type") == "object" and "properties" in spec:
                allowed.update(f"{key}.{inner}" for inner in spec["properties"])
            else:
                allowed.add(key)
        missing = set(known) - allowed - set(CHART_OWNED)
        unknown = allowed - set(known)
        owned_unknown = set(CHART_OWNED) - set(known)
        both = allowed & set(CHART_OWNED)
        expect(not missing, f"settings neither in the schema's config nor set by the chart: {sorted(missing)}")
        expect(not unknown, f"the schema allows config keys the node does not know: {sorted(unknown)}")
        expect(not owned_unknown, f"the chart sets settings the node does not know: {sorted(owned_unknown)}")
        expect(not both, f"settings both in config and set by the chart: {sorted(both)}")
        print(f"    {len(allowed)} settings in config, {len(CHART_OWNED)} set by the chart, {len(known)} in config.rs")

    @check("probes, drain and ports agree with the node")
    def _():
        health = (ROOT / "crates/api/src/health.rs").read_text()
        for name, documents in rendered.items():
            c = container(documents)
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                path = c[probe]["httpGet"]["path"]
                expect(f'"{path}"' in health, f"{name}: {probe} on {path}, which the node does not serve")
            expect(c["readinessProbe"]["httpGet"]["path"] == "/readyz", "readiness is /readyz")
            expect(c["livenessProbe"]["httpGet"]["path"] == "/healthz", "liveness is /healthz")
            spec = one(documents, "StatefulSet")["spec"]["template"]["spec"]
            pause = c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
            grace = spec["terminationGracePeriodSeconds"]
            expect(grace >= drain_limit_secs() + pause + 10,
                   f"{name}: terminationGracePeriodSeconds {grace} leaves no room for the {drain_limit_secs()} s drain after a {pause} s pause")
            security = c["securityContext"]
            expect(security.get("readOnlyRootFilesystem") is True, f"{name}: root filesystem not read-only")
            expect(spec["securityContext"].get("runAsNonRoot") is True, f"{name}: may run as root")
            listen = next(e["value"] for e in c["env"] if e["name"] == "COMPANYOS_LISTEN")
            http = next(p["containerPort"] for p in c["ports"] if p["name"] == "http")
            expect(listen.endswith(f":{http}"), f"{name}: listen {listen} is not the http port {http}")
            # The node makes its data directory 0700 and cannot change a volume's root
            # (owned by root): the directory is one level below the volume.
            data = next(e["value"] for e in c["env"] if e["name"] == "COMPANYOS_DATA_DIR")
            volume = next((m for m in c["volumeMounts"] if m["name"] == "data"), None)
            expect(volume is not None and data.startswith(volume["mountPath"].rstrip("/") + "/"),
                   f"{name}: the data directory {data} is not a directory inside the data volume")

    @check("alerts and dashboard use metrics the code exports")
    def _():
        exported = code_metrics()
        used: dict[str, set[str]] = {}
        rules = yaml.safe_load((work / "rules.yaml").read_text())
        for group in rules["groups"]:
            for r in group["rules"]:
                for metric in re.findall(r"\b(companyos_[a-z0-9_]+)", r["expr"]):
                    used.setdefault(metric, set()).add(r.get("alert") or r.get("record"))
        dashboard = json.loads((CHART / "dashboards/companyos.json").read_text())
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                for metric in re.findall(r"\b(companyos_[a-z0-9_]+)", target["expr"]):
                    used.setdefault(metric, set()).add(f"panel {panel['title']!r}")
        for variable in dashboard["templating"]["list"]:
            for metric in re.findall(r"\b(companyos_[a-z0-9_]+)", json.dumps(variable)):
                used.setdefault(metric, set()).add(f"variable {variable['name']}")
        missing = {}
        for metric, where in used.items():
            base = re.sub(r"_(bucket|sum|count)$", "", metric)
            if metric not in exported and base not in exported:
                missing[metric] = sorted(where)
        print(f"    {len(used)} metric names used, {len(exported)} exported by the code")
        expect(not missing, f"not exported by the code: {missing}")

    @check("the Grafana dashboard: valid JSON, PromQL that parses, in a ConfigMap with the sidecar label")
    def _():
        text = (CHART / "dashboards/companyos.json").read_text()
        dashboard = json.loads(text)
        expect(dashboard.get("uid") and dashboard.get("title"), "uid and title")
        ids = [p["id"] for p in dashboard["panels"]]
        expect(len(ids) == len(set(ids)), "panel ids repeat")
        configmap = one(rendered["prometheusrule"], "ConfigMap", "companyos-dashboard")
        expect(configmap["metadata"]["labels"].get("grafana_dashboard") == "1", "grafana_dashboard label")
        expect(json.loads(configmap["data"]["companyos.json"]) == dashboard, "the ConfigMap holds another dashboard")
        # Each query as a recording rule, the variables replaced, so that promtool parses it.
        substitutions = {"$__rate_interval": "5m", "$namespace": NAMESPACE, "$job": RELEASE}
        recording = []
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                expr = target["expr"]
                for variable, value in substitutions.items():
                    expr = expr.replace(variable, value)
                expect("$" not in expr, f"panel {panel['title']!r}: unknown variable in {expr}")
                recording.append({"record": f"dashboard:panel_{panel['id']}_{target['refId']}", "expr": expr})
        path = work / "dashboard-queries.yaml"
        path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": recording}]}))
        run = subprocess.run([args.promtool, "check", "rules", str(path)], capture_output=True, text=True)
        expect(run.returncode == 0, f"promtool:\n{run.stdout}{run.stderr}")
        print(f"    {len(dashboard['panels'])} panels, {len(recording)} queries parsed")

    @check("values.schema.json and the templates refuse bad values")
    def _():
        good_cluster = {"cluster": {"enabled": True}, "externalDatabase": {"url": "postgres://u:p@db:5432/companyos"},
                        "secrets": {"jwtSecret": "x" * 32, "masterKey": "0" * 64}}
        bad = [
            ("an unknown top-level value (a typo)", {"replicas": 3}, "additional properties 'replicas'"),
            ("an image pull policy Kubernetes does not know", {"image": {"pullPolicy": "Sometimes"}}, "/image/pullPolicy"),
            ("a replica count that is not a number", {"replicaCount": "three"}, "/replicaCount"),
            ("a log format the node refuses", {"config": {"log": {"format": "xml"}}}, "/config/log/format"),
            ("a setting the chart owns, in config", {"config": {"listen": "0.0.0.0:1"}}, "additional properties 'listen'"),
            ("a setting the node does not have", {"config": {"log": {"colour": "red"}}}, "additional properties 'colour'"),
            ("a secret in config instead of secrets", {"config": {"auth": {"jwt_secret": "x" * 32}}}, "jwt_secret"),
            ("a JWT secret under 32 characters", {"secrets": {"jwtSecret": "short"}}, "/secrets/jwtSecret"),
            ("a master key that is neither hex nor base64 of 32 bytes", {"secrets": {"masterKey": "0123"}}, "/secrets/masterKey"),
            ("a database that is not PostgreSQL", {"externalDatabase": {"url": "mysql://db/companyos"}}, "/externalDatabase/url"),
            ("rediss:// (not supported by the node)", {"externalRedis": {"url": "rediss://cache:6380"}}, "/externalRedis/url"),
            ("a RabbitMQ URL that is not amqp:// or amqps://",
             {"externalRabbitmq": {"url": "http://rabbitmq:15672"}}, "/externalRabbitmq/url"),
            ("a lease shorter than the node allows", {"config": {"cluster": {"lease_ttl_ms": 100}}}, "/config/cluster/lease_ttl_ms"),
            ("a service port out of range", {"service": {"port": 70000}}, "/service/port"),
            ("a grace period shorter than the drain", {"terminationGracePeriodSeconds": 10}, "/terminationGracePeriodSeconds"),
            ("a COMPANYOS_ variable in extraEnv", {"extraEnv": [{"name": "COMPANYOS_LISTN", "value": "x"}]}, "/extraEnv/0/name"),
            ("an alert name that does not exist", {"metrics": {"prometheusRule": {"disabled": {"HighErrorRate": True}}}}, "HighErrorRate"),
            ("an existing Secret key the chart does not use", {"secrets": {"existingSecretKeys": ["api-key"]}}, "existingSecretKeys"),
            ("three nodes without cluster mode", {"replicaCount": 3}, "needs cluster mode"),
            ("autoscaling without cluster mode", {"autoscaling": {"enabled": True}}, "needs cluster mode"),
            ("cluster mode on SQLite", {"cluster": {"enabled": True}}, "needs PostgreSQL"),
            ("the task transport on SQLite",
             {"externalRabbitmq": {"url": "amqp://u:p@rabbitmq:5672/%2f"}}, "externalRabbitmq.url needs PostgreSQL"),
            ("cluster mode without shared keys",
             {"cluster": {"enabled": True}, "externalDatabase": {"url": "postgres://u@db/companyos"}}, "jwt_secret"),
            ("a renewal slower than a third of the lease",
             {**good_cluster, "config": {"cluster": {"lease_ttl_ms": 3000, "renew_interval_ms": 1500}}}, "at most a third"),
            ("more minimum than maximum replicas",
             {**good_cluster, "autoscaling": {"enabled": True, "minReplicas": 5, "maxReplicas": 2}}, "minReplicas"),
        ]
        problems = []
        with helm.Chart.load(str(CHART)) as chart:
            chart.render(good_cluster, name=RELEASE, namespace=NAMESPACE)  # the base of the bad ones renders
            for what, values, reason in bad:
                try:
                    chart.render(values, name=RELEASE, namespace=NAMESPACE)
                except helm.HelmError as error:
                    message = str(error)
                    if reason not in message:
                        problems.append(f"{what}: refused, but not for {reason!r}: {message}")
                    else:
                        print(f"    refused: {what}")
                else:
                    problems.append(f"{what}: rendered without complaint")
        expect(not problems, "\n      ".join([""] + problems))

    @check("promtool check rules (the PrometheusRule's groups)")
    def _():
        expect((work / "rules.yaml").exists(), "no rules were extracted")
        run = subprocess.run([args.promtool, "check", "rules", str(work / "rules.yaml")], capture_output=True, text=True)
        print("    " + (run.stdout + run.stderr).strip().replace("\n", "\n    "))
        expect(run.returncode == 0, "promtool check rules failed")

    @check("promtool test rules: each alert fires in one case and stays quiet in another")
    def _():
        tests_file = CHART / "tests/alerts.test.yaml"
        tests = yaml.safe_load(tests_file.read_text())
        rules = yaml.safe_load((work / "rules.yaml").read_text())
        alerts = {r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r}
        fires, quiet = set(), set()
        for case in tests["tests"]:
            for test in case.get("alert_rule_test", []):
                (fires if test.get("exp_alerts") else quiet).add(test["alertname"])
        expect(alerts <= fires, f"alerts never made to fire: {sorted(alerts - fires)}")
        expect(alerts <= quiet, f"alerts never shown quiet: {sorted(alerts - quiet)}")
        expect(not (fires | quiet) - alerts, f"tests of alerts that do not exist: {sorted((fires | quiet) - alerts)}")
        shutil.copy(tests_file, work / "alerts.test.yaml")
        run = subprocess.run([args.promtool, "test", "rules", str(work / "alerts.test.yaml")],
                             capture_output=True, text=True)
        print("    " + (run.stdout + run.stderr).strip().replace("\n", "\n    "))
        expect(run.returncode == 0, "promtool test rules failed")
        print(f"    {len(alerts)} alerts, each firing and quiet")

    shutil.rmtree(work, ignore_errors=True)
    passed = sum(1 for _, ok in results if ok)
    failed = len(results) - passed
    print()
    for name, ok in results:
        if not ok:
            print(f"failed: {name}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
