#!/usr/bin/env bash
# Builds the Go tools the tests use into .tools/bin (gitignored), at pinned versions, from the
# Go module proxy: OpenTofu (through tools/sandbox/go, which repeats its replace directive) and
# actionlint. Seconds with a warm Go cache, minutes on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="$PWD/.tools/bin"
mkdir -p "$bin"
if ! command -v go >/dev/null; then
  echo "build-tools: no Go toolchain; OpenTofu and actionlint tests will say they are skipped" >&2
  exit 0
fi
(cd tools/sandbox/go && go build -o "$bin/tofu" github.com/opentofu/opentofu/cmd/tofu)
GOBIN="$bin" go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
echo "build-tools: built $(ls "$bin" | tr '\n' ' ')in .tools/bin"
