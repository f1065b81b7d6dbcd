#!/usr/bin/env bash
# Scans every synthesized module (dist/modules/*) and bootstrap root (dist/bootstrap/*) with
# checkov, pinned in requirements.txt and installed into .venv on first use. Skipped checks,
# each with its reason, are in config.yaml.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -x .venv/bin/checkov ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r tools/checkov/requirements.txt
fi
.venv/bin/checkov --config-file tools/checkov/config.yaml --directory dist/modules --directory dist/bootstrap
