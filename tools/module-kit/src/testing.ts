import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TerraformModuleJson } from "./module.ts";

/**
 * Runs the module's own expressions through the real Terraform binary (no provider needed):
 * its variables with given values, plus expressions or preconditions lifted from the JSON.
 */
export const hasTerraform = spawnSync("terraform", ["version"], { stdio: "ignore" }).status === 0;

export interface Condition {
  condition: string;
  error_message: string;
}

/** `"${expr}"` as written in Terraform JSON, back to `expr`. */
export function expr(template: unknown): string {
  const text = String(template);
  if (!text.startsWith("${") || !text.endsWith("}"))
    throw new Error(`not a single interpolation: ${text}`);
  return text.slice(2, -1);
}

/** Evaluates HCL expressions with the module's variables set to `values` (`terraform console`). */
export function evaluate(
  json: TerraformModuleJson,
  values: Record<string, unknown>,
  expressions: string[],
  locals: Record<string, unknown> = {},
): unknown[] {
  // A piped console prints only the last expression it reads: ask for one list of them all.
  const input = `jsonencode([${expressions.join(", ")}])\n`;
  const result = run(json, values, ["console"], { locals }, input);
  if (result.status !== 0) throw new Error(result.output);
  return JSON.parse(JSON.parse(result.stdout.trim()) as string) as unknown[];
}

/**
 * `terraform plan` of the module's variables (validations run) and, when given, a stand-in
 * resource carrying `preconditions` with `count`. Returns Terraform's output when it fails, or
 * `""` when the values pass.
 */
export function planErrors(
  json: TerraformModuleJson,
  values: Record<string, unknown>,
  preconditions: Condition[] = [],
  count = "1",
): string {
  const extra = preconditions.length
    ? {
        resource: {
          terraform_data: {
            check: { count: `\${${count}}`, lifecycle: { precondition: preconditions } },
          },
        },
      }
    : {};
  const result = run(
    json,
    values,
    ["plan", "-input=false", "-refresh=false", "-lock=false"],
    extra,
  );
  return result.status === 0 ? "" : result.output.replace(/\s+/g, " ");
}

function run(
  json: TerraformModuleJson,
  values: Record<string, unknown>,
  args: string[],
  extra: Record<string, unknown>,
  input?: string,
): { status: number | null; stdout: string; output: string } {
  const dir = mkdtempSync(join(tmpdir(), "tandem-tf-"));
  try {
    // Indented, so the source line Terraform quotes in an error is the condition, not the file.
    writeFileSync(
      join(dir, "main.tf.json"),
      JSON.stringify({ variable: json.variable, ...extra }, null, 2),
    );
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
