import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { REPO } from "../helpers.ts";

/**
 * actionlint (rhysd/actionlint v1.7.12, built into .tools/bin by `npm test`, through
 * tools/setup/install-test-tools.sh) over
 * every workflow, including the local actions' inputs they pass. ACTIONLINT overrides the path.
 */
const binary = process.env.ACTIONLINT ?? join(REPO, ".tools", "bin", "actionlint");
const present = existsSync(binary);
const workflows = readdirSync(join(REPO, ".github", "workflows"))
  .filter((f) => f.endsWith(".yml"))
  .map((f) => join(".github", "workflows", f));

it.skipIf(!present)(
  present
    ? "actionlint finds nothing in .github/workflows"
    : "actionlint (skipped: no binary at .tools/bin/actionlint; build it with `GOBIN=$PWD/.tools/bin go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12`)",
  () => {
    const result = spawnSync(binary, ["-no-color", ...workflows], {
      cwd: REPO,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  },
);

it.skipIf(!present)(
  `actionlint catches a broken workflow${present ? "" : " (skipped: no actionlint binary)"}`,
  () => {
    const broken =
      "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope.value }}\n";
    const result = spawnSync(binary, ["-no-color", "-"], {
      cwd: REPO,
      input: broken,
      encoding: "utf8",
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("nope");
  },
);
