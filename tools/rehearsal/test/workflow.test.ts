/** Which jobs GitHub gives an OIDC token request URL, read from the workflow files. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { idTokenJobs } from "../src/workflow.ts";

const WORKFLOWS = fileURLToPath(new URL("../../../.github/workflows/", import.meta.url));

describe("id-token: write", () => {
  it("is granted in plan.yml to the plan job alone", () => {
    expect([...idTokenJobs(join(WORKFLOWS, "plan.yml"))]).toEqual(["plan"]);
  });

  it("comes from the job's permissions, else the workflow's, and write-all grants it", () => {
    const file = join(mkdtempSync(join(tmpdir(), "tandem-workflow-")), "w.yml");
    writeFileSync(
      file,
      [
        "permissions: { id-token: write }",
        "jobs:",
        "  inherits: { runs-on: x }",
        "  narrows: { runs-on: x, permissions: { contents: read } }",
        "  all: { runs-on: x, permissions: write-all }",
        "  none: { runs-on: x, permissions: {} }",
      ].join("\n"),
    );
    expect([...idTokenJobs(file)].sort()).toEqual(["all", "inherits"]);
  });
});
