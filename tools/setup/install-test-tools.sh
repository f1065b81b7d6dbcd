#!/usr/bin/env bash
# Installs what the test suite needs into the repository's ignored folders, at pinned versions,
# and skips whatever is already in place:
#   python  .venv with moto (tools/sandbox/requirements.txt) and .tools/checkov with checkov
#           (tools/checkov/requirements.txt): apart, because checkov pins an old boto3 and moto
#           answers from botocore's service models (an old one drops fields AWS returns)
#   go      .tools/bin/{tofu,actionlint,act}, built from the Go module proxy; Go's build cache
#           (shared by every checkout on the machine) makes a rebuild take seconds
# Usage: install-test-tools.sh [python] [go]   (both when none is named)
set -euo pipefail
cd "$(dirname "$0")/../.."

ACTIONLINT=github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
ACT=github.com/nektos/act@v0.2.89

say() { echo "install-test-tools: $*" >&2; }

# The pinned `name==version` lines of requirements file $2 that venv $1 does not have at that version.
missing_requirements() {
  local pinned
  pinned=$(grep -hoE '^[A-Za-z0-9_.-]+(\[[^]]*\])?==[^ ;#]+' "$2" | sed 's/\[[^]]*\]//')
  comm -23 <(lowercase_sorted <<<"$pinned") \
    <("$1/bin/python" -m pip freeze --disable-pip-version-check 2>/dev/null | lowercase_sorted)
}

lowercase_sorted() { tr '[:upper:]' '[:lower:]' | sort -u; }

install_python() {
  if ! command -v python3 >/dev/null; then
    say "no python3: the checkov scan and the tests on moto cannot run here"
    return 1
  fi
  install_venv .venv tools/sandbox/requirements.txt
  install_venv .tools/checkov tools/checkov/requirements.txt
}

# A venv at $1 with the pinned requirements of file $2, installed when any is missing.
install_venv() {
  [ -x "$1/bin/python" ] || python3 -m venv "$1"
  local missing
  missing=$(missing_requirements "$1" "$2")
  if [ -z "$missing" ]; then
    say "$1 has what $2 pins"
    return 0
  fi
  say "installing $(tr '\n' ' ' <<<"$missing")into $1"
  "$1/bin/pip" install --quiet --disable-pip-version-check -r "$2"
}

install_go() {
  local bin="$PWD/.tools/bin"
  mkdir -p "$bin"
  if ! command -v go >/dev/null; then
    say "no Go toolchain: OpenTofu, actionlint and act cannot be built; their tests say they are skipped"
    return 0
  fi
  # OpenTofu through tools/sandbox/go, a module that repeats OpenTofu's replace directive.
  # dev=no: it reports its release version (1.12.6, not 1.12.6-dev), which manifests pin.
  (cd tools/sandbox/go && go build -ldflags "-X github.com/opentofu/opentofu/version.dev=no" -o "$bin/tofu" github.com/opentofu/opentofu/cmd/tofu)
  GOBIN="$bin" go install "$ACTIONLINT"
  GOBIN="$bin" go install "$ACT"
  say "built tofu, actionlint and act in .tools/bin"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(python go)
for target in "${targets[@]}"; do
  case "$target" in
    python) install_python ;;
    go) install_go ;;
    *) say "unknown target '$target' (python, go)"; exit 2 ;;
  esac
done
