#!/usr/bin/env bash
# The whole test suite (`npm test`): installs what the tests need (install-test-tools.sh), then
# every check of every project. Under CI=true a skipped test fails the run (vitest.shared.ts).
#
# The longest tasks are the tests on an applied sandbox (cli, deploy-action, rehearsal), which
# mostly wait on the provider: they start as soon as the Go tools are built, beside the checks
# that need no Go tool, then the other projects' tests.
set -euo pipefail
cd "$(dirname "$0")/../.."
suite_start_ms=$(date +%s%3N)
mkdir -p .tools
export PATH="$PWD/.tools/bin:$PWD/node_modules/.bin:$PATH"
SANDBOX_PROJECTS=cli,deploy-action,rehearsal,sandbox

phase() { echo "run-suite: $* after ${SECONDS}s"; }
background=()
# The test files share one applied sandbox per tool (@tandem/sandbox sharedSandbox): stopped
# here, by the pid each recorded, when the suite ends; so is what this script started.
finish() {
  for pid in "${background[@]}"; do kill "$pid" 2>/dev/null || true; done
  for tool in terraform tofu; do tandem sandbox down --name "shared-$tool" >/dev/null || true; done
}
trap finish EXIT

# Go's build cache makes the Go tools a matter of seconds (minutes when cold): built while the
# Python tools install and the checks run.
bash tools/setup/install-test-tools.sh go >.tools/go-build.log 2>&1 &
go_pid=$!
background+=("$go_pid")
bash tools/setup/install-test-tools.sh python
phase "Python tools installed"

# The AWS provider from an offline mirror where the machine has one (no path is kept in the
# repository); elsewhere `terraform init` downloads it as usual.
if [ -z "${TANDEM_PROVIDER_MIRROR:-}" ]; then
  version_dir=$(find / -maxdepth 6 -path '*registry.terraform.io/hashicorp/aws/5.100.0' -type d 2>/dev/null | head -1 || true)
  if [ -n "$version_dir" ]; then export TANDEM_PROVIDER_MIRROR="${version_dir%/registry.terraform.io/*}"; fi
fi

# Each Nx run writes its tasks' timings to <profile>-<label>.json (NX_PROFILE, by default
# .tools/nx-profile.json); they are printed when the suite ends.
profile=${NX_PROFILE:-.tools/nx-profile.json}
rm -f "${profile%.json}"-*.json
nx_run() {
  local label=$1
  shift
  NX_PROFILE=${profile%.json}-$label.json nx run-many "$@" --output-style=stream
}

checks() {
  npm run lint:cycles
  tandem docs --check
  tandem workflows --check
  tandem synth
  tools/checkov/scan.sh
  nx_run checks -t typecheck lint
}
checks >.tools/checks.log 2>&1 &
checks_pid=$!
background+=("$checks_pid")

if ! wait "$go_pid"; then
  cat .tools/go-build.log
  exit 1
fi
phase "Go tools built"
# Their files on the shared sandboxes mostly wait for its apply: all four start at once (Nx runs
# three tasks at a time by default), and a second vitest worker (vitest takes one less than the
# 2 cores) runs each project's other files meanwhile.
nx_run sandbox-tests -t test -p "$SANDBOX_PROJECTS" --parallel=4 --maxWorkers=2 &
sandbox_tests_pid=$!
background+=("$sandbox_tests_pid")

status=0
wait "$checks_pid" || status=1
cat .tools/checks.log
phase "checks (cycles, docs, workflows, synth, checkov, typecheck, lint) done, status $status"
nx_run other-tests -t test --exclude "$SANDBOX_PROJECTS" || status=1
phase "tests of the other projects done, status $status"
wait "$sandbox_tests_pid" || status=1
background=()
phase "tests on the sandbox ($SANDBOX_PROJECTS) done, status $status"
echo "run-suite: Nx tasks in the order they ended (seconds after the suite began):"
node tools/setup/task-timings.mjs "$suite_start_ms" "${profile%.json}"-*.json
exit "$status"
