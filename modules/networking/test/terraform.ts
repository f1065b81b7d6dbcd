import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Runs the module's own expressions (variable validations, locals) through the real Terraform
 * (or OpenTofu) CLI. A config with only variables, locals and outputs needs no provider and no
 * `init`, so this is fast and offline.
 */
export const terraformCli = ["terraform", "tofu"].find(
  (bin) => spawnSync(bin, ["version"], { stdio: "ignore" }).status === 0,
);

const env: NodeJS.ProcessEnv = { ...process.env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" };
delete env.TF_CLI_CONFIG_FILE;

function run(config: object, values: Record<string, unknown>, args: string[], input?: string) {
  const dir = mkdtempSync(join(tmpdir(), "tandem-tf-"));
  try {
    writeFileSync(join(dir, "main.tf.json"), JSON.stringify(config));
    writeFileSync(join(dir, "test.tfvars.json"), JSON.stringify(values));
    const result = spawnSync(terraformCli ?? "terraform", [...args, "-var-file=test.tfvars.json"], {
      cwd: dir,
      env,
      input,
      encoding: "utf8",
    });
    return {
      ok: result.status === 0,
      stdout: result.stdout,
      output: `${result.stdout}${result.stderr}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Plans a config of variables only: `ok` is false and `output` names the rule when a validation fails. */
export function validate(
  variables: object,
  values: Record<string, unknown>,
): { ok: boolean; output: string } {
  return run({ variable: variables }, values, ["plan", "-input=false", "-no-color", "-lock=false"]);
}

/** Evaluates `expression` in a config of variables and locals, returning its JSON value. */
export function evaluate(
  config: object,
  values: Record<string, unknown>,
  expression: string,
): unknown {
  const result = run(config, values, ["console"], `jsonencode(${expression})\n`);
  if (!result.ok) throw new Error(result.output);
  const line = result.stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(JSON.parse(line) as string);
}
