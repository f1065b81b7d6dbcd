import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const hasTerraform = spawnSync("terraform", ["version"], { stdio: "ignore" }).status === 0;

/**
 * Evaluates a `${...}` expression of a root with `terraform console`, each remote state's
 * outputs standing in as a local (`data.terraform_remote_state.<role>.outputs` → `local.<role>`).
 */
export function evaluateHcl(template: string, states: Record<string, unknown>): unknown {
  const expression = template
    .slice(2, -1)
    .replace(/data\.terraform_remote_state\.(\w+)\.outputs/g, "local.$1");
  const dir = mkdtempSync(join(tmpdir(), "tandem-hcl-"));
  try {
    writeFileSync(join(dir, "main.tf.json"), JSON.stringify({ locals: states }));
    const result = spawnSync("terraform", ["console", "-no-color"], {
      cwd: dir,
      input: `jsonencode(${expression})\n`,
      encoding: "utf8",
      env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: "/dev/null" },
    });
    if (result.status !== 0) throw new Error(result.stderr);
    return JSON.parse(JSON.parse(result.stdout.trim()) as string) as unknown;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
