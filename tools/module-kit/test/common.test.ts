import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { commonVariables, defineModule, synthesizeModule } from "../src/index.ts";

const json = synthesizeModule(defineModule({ domain: "c", description: "", example: "", build: commonVariables })).json;
const hasTerraform = spawnSync("terraform", ["version"], { stdio: "ignore" }).status === 0;

/** `terraform plan` of just the variables: their validation rules run, no provider is needed. */
function plan(values: Record<string, string>): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), "kit-vars-"));
  writeFileSync(join(dir, "main.tf.json"), JSON.stringify({ variable: json.variable }));
  const args = ["plan", "-input=false", "-lock=false", ...Object.entries(values).map(([k, v]) => `-var=${k}=${v}`)];
  const result = spawnSync("terraform", [`-chdir=${dir}`, ...args], { encoding: "utf8", env: { ...process.env, TF_IN_AUTOMATION: "1" } });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("commonVariables", () => {
  it("writes validation conditions as Terraform JSON expressions", () => {
    for (const variable of Object.values(json.variable ?? {})) {
      for (const rule of variable.validation ?? []) expect(rule.condition).toMatch(/^\$\{.*\}$/);
    }
  });

  it.skipIf(!hasTerraform)("accepts a good name and role and rejects bad ones (real terraform)", () => {
    expect(plan({ name: "payments-prod", role: "primary" }).status).toBe(0);
    const bad = plan({ name: "Payments_Prod", role: "tertiary" });
    expect(bad.status).not.toBe(0);
    expect(bad.output).toContain("name must be 3-40 characters");
    expect(bad.output).toContain("role must be primary or secondary");
  });
});
