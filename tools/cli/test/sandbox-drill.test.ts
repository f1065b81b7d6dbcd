import { expect, it } from "vitest";
import { REPO } from "@tandem/generator/testing";
import { tandem } from "./e2e/scratch.ts";

it("tandem sandbox drill --json prints the report alone on stdout, the handler's logs on stderr", async () => {
  const { code, stdout, stderr } = await tandem(REPO, [
    "sandbox",
    "drill",
    "--env",
    "dev",
    "--json",
    "--dry-run",
  ]);
  expect(code, stderr).toBe(0);
  const report = JSON.parse(stdout) as { environment: string; dryRun: boolean; passed: boolean };
  expect(report).toMatchObject({ environment: "dev", dryRun: true, passed: true });
  expect(stderr).toContain("region check");
}, 300_000);
