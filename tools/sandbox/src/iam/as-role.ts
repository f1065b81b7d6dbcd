/**
 * Terraform on a sandbox's roots as the environment's roles: each step runs in a copy of the
 * root's folder beside it (so the sandbox's own tree, which other commands use with the admin
 * test credentials, is left as it is; the state is the same, in the S3 backend) whose override
 * sends every call, the S3 backend's and the remote states' included, through a gateway with a
 * session of the role. `startRoleRun` serves `tandem sandbox apply|plan` (unless `--as-admin`);
 * `planAsRole` plans an applied sandbox's roots through it (`-lock=false`, as the pipeline's).
 */
import { rmSync } from "node:fs";
import { plannedChanges, type ShowJson } from "../events.ts";
import { gapForReplan, loadKnownGaps } from "../gaps.ts";
import type { Manifest } from "@tandem/generator";
import type { MotoServer } from "../moto.ts";
import { copyRootWithOverride } from "../overrides.ts";
import { runTool } from "../run.ts";
import { startGateway, type CallCounts } from "./gateway.ts";
import { assumeAsJob, type RoleKind, type Session } from "./session.ts";

/** What of a prepared sandbox a role's run needs (sandbox.ts's PreparedSandbox has it). */
interface SandboxRoots {
  readonly server: MotoServer;
  readonly tool: { readonly bin: string };
  readonly env: Record<string, string>;
  readonly roots: readonly { readonly name: string; readonly dir: string }[];
}

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

/** Plans every root of an applied sandbox as the plan role, one session per root. */
export async function planAsRole(
  prepared: SandboxRoots,
  roles: RoleRun,
  timeoutMs = 600_000,
): Promise<RolePlan[]> {
  return Promise.all(
    prepared.roots.map(async (root) => {
      const { dir, accessKeyId } = await roles.folder(root, "plan");
      const run = (args: string[]) =>
        runTool(prepared.tool.bin, args, { cwd: dir, env: prepared.env, timeoutMs });
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

/** Where one step of a root runs as a role: the copy's folder, the role, its session's key. */
export interface RoleFolder {
  readonly dir: string;
  readonly role: string;
  readonly accessKeyId: string;
}

export interface RoleRun {
  /** The gateway: where a role's calls go. */
  readonly endpoint: string;
  /** A fresh session of the step's role, as its GitHub job gets it. */
  session(as: RoleKind): Promise<Session>;
  /** A fresh session of the step's role (one per root and step) in a fresh copy of the root. */
  folder(root: { readonly name: string; readonly dir: string }, as: RoleKind): Promise<RoleFolder>;
  /** The calls a session made through the gateway: judged allowed, denied, or not evaluated. */
  calls(accessKeyId: string): CallCounts;
  /** Stops the gateway and removes the copies. */
  close(): Promise<void>;
}

/**
 * A gateway in front of the sandbox's emulator, in this process, for one run of its roots as
 * the roles: its sessions and their counts live as long as the run.
 */
export async function startRoleRun(
  repoRoot: string,
  name: string,
  manifest: Manifest,
  prepared: Pick<SandboxRoots, "server">,
  log: (line: string) => void,
): Promise<RoleRun> {
  const gateway = await startGateway({
    repoRoot,
    name,
    moto: prepared.server,
    log: (line) => {
      if (/^(denied|refused|gateway error)/.test(line)) log(`gateway: ${line}`);
    },
  });
  const copies: string[] = [];
  const session = (as: RoleKind) =>
    assumeAsJob({ repoRoot, name, endpoint: gateway.endpoint }, manifest, { as });
  return {
    endpoint: gateway.endpoint,
    session,
    async folder(root, as) {
      const credentials = await session(as);
      const copy = `${root.dir}.as-${as}`;
      copyRootWithOverride(root.dir, copy, (override) =>
        JSON.stringify(
          roleOverride(
            JSON.parse(override) as Record<string, unknown>,
            prepared.server.endpoint,
            gateway.endpoint,
            credentials,
          ),
        ),
      );
      copies.push(copy);
      return { dir: copy, role: credentials.role, accessKeyId: credentials.accessKeyId };
    },
    calls: (key) => ({ ...(gateway.calls.get(key) ?? { allowed: 0, denied: 0, unread: 0 }) }),
    async close() {
      await gateway.close();
      for (const copy of copies) rmSync(copy, { recursive: true, force: true });
    },
  };
}
