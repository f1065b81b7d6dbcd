#!/usr/bin/env bash
# Scans every synthesized module (dist/modules/*) and bootstrap root (dist/bootstrap/*) with
# checkov, pinned in requirements.txt and installed into .venv when missing. Skipped checks,
# each with its reason, are in config.yaml.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/checkov ] || bash tools/setup/install-test-tools.sh python
.venv/bin/checkov --config-file tools/checkov/config.yaml --directory dist/modules --directory dist/bootstrap
