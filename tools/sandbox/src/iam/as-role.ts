/**
 * A fresh plan of an applied sandbox's roots as one of the environment's roles: each root is
 * planned from a copy of its folder beside it (so the sandbox's own tree, which other commands
 * use, is left as it is) whose override sends every call, the S3 backend's included, through a
 * gateway with the role's credentials. Plans run with `-lock=false`, as the pipeline's do.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { plannedChanges, type ShowJson } from "../events.ts";
import { gapForReplan, loadKnownGaps } from "../gaps.ts";
import type { PreparedSandbox } from "../sandbox.ts";
import { OVERRIDE_FILE } from "../overrides.ts";
import { runTool } from "../run.ts";

export interface RoleCredentialsForTool {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

export interface RolePlan {
  readonly root: string;
  /** The access key the root's plan ran with (one session per root). */
  readonly accessKeyId: string;
  /** 0 no change, 2 changes, 1 failed (Terraform's -detailed-exitcode). */
  readonly code: number;
  readonly seconds: number;
  /** The last lines of the output when the plan failed. */
  readonly error?: string;
  /** Planned changes no known gap explains (the sandbox's re-plan rule), as `<address> <action>`. */
  readonly unexpected: string[];
}

/** The root's override with every emulator endpoint replaced by `endpoint` and the role's keys. */
export function roleOverride(
  override: Record<string, unknown>,
  motoEndpoint: string,
  endpoint: string,
  credentials: RoleCredentialsForTool,
): Record<string, unknown> {
  const text = JSON.stringify(override).replaceAll(motoEndpoint, endpoint);
  return JSON.parse(text, (key, value: unknown) => {
    if (typeof value !== "object" || value === null || !("access_key" in value)) return value;
    return {
      ...value,
      access_key: credentials.accessKeyId,
      secret_key: credentials.secretAccessKey,
      token: credentials.sessionToken,
    };
  }) as Record<string, unknown>;
}

export async function planAsRole(
  prepared: PreparedSandbox,
  options: {
    readonly endpoint: string;
    /** A session of the role for each root, so each root's calls can be told apart. */
    readonly credentials: () => Promise<RoleCredentialsForTool>;
    readonly label: string;
    readonly timeoutMs?: number;
  },
): Promise<RolePlan[]> {
  return Promise.all(
    prepared.roots.map(async (root) => {
      const copy = `${root.dir}.${options.label}`;
      const credentials = await options.credentials();
      const { accessKeyId } = credentials;
      rmSync(copy, { recursive: true, force: true });
      mkdirSync(copy);
      try {
        for (const file of ["main.tf.json", ".terraform.lock.hcl"]) {
          if (existsSync(join(root.dir, file)))
            copyFileSync(join(root.dir, file), join(copy, file));
        }
        const override = JSON.parse(readFileSync(join(root.dir, OVERRIDE_FILE), "utf8")) as Record<
          string,
          unknown
        >;
        writeFileSync(
          join(copy, OVERRIDE_FILE),
          JSON.stringify(
            roleOverride(override, prepared.server.endpoint, options.endpoint, credentials),
          ),
        );
        const run = (args: string[]) =>
          runTool(prepared.tool.bin, args, {
            cwd: copy,
            env: prepared.env,
            timeoutMs: options.timeoutMs ?? 600_000,
          });
        const init = await run(["init", "-input=false", "-no-color"]);
        if (init.code !== 0) {
          return { ...failure(root.name, init.seconds, init.stderr || init.stdout), accessKeyId };
        }
        const plan = await run([
          "plan",
          "-input=false",
          "-lock=false",
          "-no-color",
          "-detailed-exitcode",
          "-parallelism=50",
          "-out=tandem-role.tfplan",
        ]);
        const seconds = Math.round((init.seconds + plan.seconds) * 10) / 10;
        if (plan.code === 1 || plan.timedOut) {
          return { ...failure(root.name, seconds, plan.stderr || plan.stdout), accessKeyId };
        }
        const unexpected =
          plan.code === 2
            ? unexplained(
                JSON.parse((await run(["show", "-json", "tandem-role.tfplan"])).stdout) as ShowJson,
              )
            : [];
        return { root: root.name, accessKeyId, code: plan.code, seconds, unexpected };
      } finally {
        rmSync(copy, { recursive: true, force: true });
      }
    }),
  );
}

function failure(root: string, seconds: number, output: string) {
  const error = output.trim().split("\n").filter(Boolean).slice(-12).join("\n");
  return { root, code: 1, seconds: Math.round(seconds * 10) / 10, error, unexpected: [] };
}

/** The changes a plan of an applied root holds that no known gap explains. */
function unexplained(plan: ShowJson): string[] {
  const gaps = loadKnownGaps();
  return plannedChanges(plan)
    .filter((change) => !gapForReplan(gaps, change.address, change.attributes))
    .map((change) => `${change.address} ${change.action} (${change.attributes.join(", ")})`);
}
