#!/usr/bin/env bash
# Scans every synthesized module (dist/modules/*) and bootstrap root (dist/bootstrap/*) with
# checkov, pinned in requirements.txt and installed into a venv of its own (.tools/checkov) when
# missing. Skipped checks, each with its reason, are in config.yaml.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .tools/checkov/bin/checkov ] || bash tools/setup/install-test-tools.sh python
.tools/checkov/bin/checkov --config-file tools/checkov/config.yaml --directory dist/modules --directory dist/bootstrap
