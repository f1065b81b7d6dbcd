/** Every third-party action the workflows pin has a stand-in; one without is a located error. */
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { RehearsalError } from "../src/errors.ts";
import { pinnedActions, STAND_INS, standIns } from "../src/stand-ins.ts";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

describe("stand-ins", () => {
  it("maps every action the rehearsed workflows and their local actions name, at its pinned commit", () => {
    const map = standIns(
      REPO_ROOT,
      ["plan.yml", "apply.yml", "drift.yml"].map((w) => `.github/workflows/${w}`),
    );
    expect(
      Object.keys(map)
        .map((k) => k.split("@")[0])
        .sort(),
    ).toEqual([
      "actions/cache",
      "actions/checkout",
      "actions/setup-node",
      "aws-actions/configure-aws-credentials",
      "hashicorp/setup-terraform",
      "opentofu/setup-opentofu",
    ]);
    for (const [repository, dir] of Object.entries(map)) {
      expect(repository).toMatch(/@[0-9a-f]{40}$/);
      expect(dir).toBe(join(REPO_ROOT, STAND_INS, repository.split("@")[0]!));
    }
  });

  it("names the file and line of an action that has no stand-in", () => {
    const root = mkdtempSync(join(tmpdir(), "tandem-stand-ins-"));
    mkdirSync(join(root, ".github", "workflows"), { recursive: true });
    cpSync(join(REPO_ROOT, STAND_INS), join(root, STAND_INS), { recursive: true });
    writeFileSync(
      join(root, ".github", "workflows", "x.yml"),
      "jobs:\n  a:\n    steps:\n      - uses: actions/checkout@v5\n      - uses: someone/thing@v1 # pinned\n",
    );
    expect(pinnedActions(root, [".github/workflows/x.yml"]).map((a) => a.at)).toEqual([
      ".github/workflows/x.yml:4",
      ".github/workflows/x.yml:5",
    ]);
    expect(() => standIns(root, [".github/workflows/x.yml"])).toThrow(RehearsalError);
    expect(() => standIns(root, [".github/workflows/x.yml"])).toThrow(
      ".github/workflows/x.yml:5: someone/thing@v1 has no stand-in in tools/rehearsal/stand-ins",
    );
  });
});
