import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TerraformModuleJson } from "@tandem/module-kit";

/** Runs the module's own expressions through the real Terraform binary (no provider needed). */
export const hasTerraform = spawnSync("terraform", ["version"], { stdio: "ignore" }).status === 0;

/** `"${expr}"` as written in Terraform JSON, back to `expr`. */
export function expr(template: unknown): string {
  const text = String(template);
  if (!text.startsWith("${") || !text.endsWith("}"))
    throw new Error(`not a single interpolation: ${text}`);
  return text.slice(2, -1);
}

/**
 * Evaluates an expression of the module with `terraform console`, after replacing references
 * to resources and data sources by the stand-in values given in `replace`.
 */
export function evaluate(
  json: TerraformModuleJson,
  values: Record<string, unknown>,
  expression: string,
  replace: Record<string, string> = {},
): unknown {
  let text = expression;
  for (const [from, to] of Object.entries(replace)) text = text.split(from).join(to);
  const result = run(json, values, ["console"], `jsonencode(${text})\n`);
  if (result.status !== 0) throw new Error(result.output);
  return JSON.parse(JSON.parse(result.stdout.trim()) as string) as unknown;
}

/** `terraform plan` of the module's variables only: `""` when the values pass their validations, else the errors. */
export function planErrors(json: TerraformModuleJson, values: Record<string, unknown>): string {
  const result = run(json, values, ["plan", "-input=false", "-refresh=false", "-lock=false"]);
  return result.status === 0 ? "" : result.output.replace(/\s+/g, " ");
}

function run(
  json: TerraformModuleJson,
  values: Record<string, unknown>,
  args: string[],
  input?: string,
) {
  const dir = mkdtempSync(join(tmpdir(), "tandem-compute-tf-"));
  try {
    writeFileSync(join(dir, "main.tf.json"), JSON.stringify({ variable: json.variable }));
    writeFileSync(join(dir, "terraform.tfvars.json"), JSON.stringify(values));
    const result = spawnSync("terraform", [...args, "-no-color"], {
      cwd: dir,
      input,
      encoding: "utf8",
      env: {
        ...process.env,
        TF_IN_AUTOMATION: "1",
        CHECKPOINT_DISABLE: "1",
        TF_CLI_CONFIG_FILE: "/dev/null",
      },
    });
    return { status: result.status, stdout: result.stdout, output: result.stdout + result.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
