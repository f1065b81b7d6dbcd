/**
 * The one seam to the Terraform / OpenTofu binary: every call is bounded by a timeout, never
 * prompts, never colours, and shares one provider plugin cache per run.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { lockRefusal, pinnedTree, requirePinnedVersion, useToolLock } from "./toolchain.ts";

export type Tool = "terraform" | "tofu";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TerraformOptions {
  tool: Tool;
  /** The binary; defaults to the tool's name on PATH (or TANDEM_TOFU_BIN / TANDEM_TERRAFORM_BIN). */
  bin?: string;
  /** The provider plugin cache this run shares between roots. */
  pluginCacheDir: string;
  /** Extra environment for every call (merged over process.env). */
  env?: Record<string, string>;
  timeouts?: Partial<Timeouts>;
  lockTimeout?: string;
  /**
   * When the cloud session ends (epoch ms): then every call may run, and wait for a lock, until
   * a margin before it, instead of the fixed limits (a first apply can outlast any of them).
   */
  sessionEnds?: number;
}

/** Left at the end of a session for Terraform to write its state and release its lock. */
export const SESSION_MARGIN_MS = 5 * 60_000;

export interface Timeouts {
  init: number;
  plan: number;
  apply: number;
  show: number;
}

const DEFAULT_TIMEOUTS: Timeouts = {
  init: 10 * 60_000,
  plan: 30 * 60_000,
  apply: 60 * 60_000,
  show: 5 * 60_000,
};

export class TerraformError extends Error {
  constructor(
    message: string,
    readonly result: RunResult,
  ) {
    super(message);
  }
}

/** The binary for a tool: an explicit override, then the env override, then PATH. */
export function toolBinary(tool: Tool, env: NodeJS.ProcessEnv = process.env): string {
  const override = tool === "tofu" ? env.TANDEM_TOFU_BIN : env.TANDEM_TERRAFORM_BIN;
  return override && override !== "" ? override : tool;
}

export class Terraform {
  readonly tool: Tool;
  readonly bin: string;
  private readonly timeouts: Timeouts;
  private readonly env: NodeJS.ProcessEnv;
  private readonly fixedLockTimeout: string;
  private readonly sessionEnds: number | undefined;

  constructor(options: TerraformOptions) {
    this.tool = options.tool;
    this.bin = options.bin ?? toolBinary(options.tool);
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.fixedLockTimeout = options.lockTimeout ?? "5m";
    this.sessionEnds = options.sessionEnds;
    mkdirSync(options.pluginCacheDir, { recursive: true });
    this.env = {
      ...process.env,
      ...options.env,
      // Each root's committed lock has the provider's hashes, so the cache serves every root
      // after the first (a package that does not match the lock is never used).
      TF_PLUGIN_CACHE_DIR: options.pluginCacheDir,
      TF_IN_AUTOMATION: "1",
      TF_INPUT: "0",
    };
  }

  /** What is left of the session before its margin, or undefined without a session. */
  private left(): number | undefined {
    return this.sessionEnds === undefined
      ? undefined
      : Math.max(1000, this.sessionEnds - Date.now() - SESSION_MARGIN_MS);
  }

  private limit(what: keyof Timeouts): number {
    return this.left() ?? this.timeouts[what];
  }

  private get lockTimeout(): string {
    const left = this.left();
    return left === undefined ? this.fixedLockTimeout : `${Math.floor(left / 1000)}s`;
  }

  private seenVersion: Promise<string> | undefined;

  /** `<tool> version -json`, asked once. */
  version(): Promise<string> {
    this.seenVersion ??= this.askVersion();
    return this.seenVersion;
  }

  private async askVersion(): Promise<string> {
    const result = await this.exec(["version", "-json"], process.cwd(), this.timeouts.show);
    if (result.code !== 0) throw new TerraformError(`${this.bin} version failed`, result);
    const parsed = JSON.parse(jsonDocument(result)) as { terraform_version?: string };
    if (!parsed.terraform_version) throw new TerraformError("no version in output", result);
    return parsed.terraform_version;
  }

  /**
   * Inits a root of a synthesized tree (beside its deployments.json) with the pinned toolchain:
   * refused before anything runs when this binary is not the version the tree pins, and
   * refused by the tool when a provider does not match the root's committed lock.
   */
  async init(dir: string): Promise<RunResult> {
    const tree = pinnedTree(dirname(dir));
    requirePinnedVersion(this.tool, await this.version(), tree);
    useToolLock(dir, this.tool);
    const args = ["init", "-input=false", "-no-color", "-lockfile=readonly"];
    args.push(`-lock-timeout=${this.lockTimeout}`);
    const result = await this.exec(args, dir, this.limit("init"));
    if (result.code === 0) return result;
    throw lockRefusal(result, tree.environment) ?? new TerraformError("init failed", result);
  }

  /**
   * Plans into `out`; `changed` from -detailed-exitcode (0 no changes, 2 changes). A plan that
   * only shows (plan, drift) takes no lock: it writes no state, and needs no lock permission.
   */
  async plan(
    dir: string,
    out: string,
    { lock = true, extra = [] }: { lock?: boolean; extra?: string[] } = {},
  ): Promise<{ changed: boolean; result: RunResult }> {
    const args = [
      "plan",
      "-input=false",
      "-no-color",
      lock ? `-lock-timeout=${this.lockTimeout}` : "-lock=false",
      "-detailed-exitcode",
      `-out=${out}`,
      ...extra,
    ];
    const result = await this.exec(args, dir, this.limit("plan"));
    if (result.code !== 0 && result.code !== 2) throw new TerraformError("plan failed", result);
    return { changed: result.code === 2, result };
  }

  async showJson(dir: string, planFile: string): Promise<string> {
    const result = await this.checked(
      "show",
      ["show", "-json", "-no-color", planFile],
      dir,
      this.timeouts.show,
    );
    return jsonDocument(result);
  }

  async showText(dir: string, planFile: string): Promise<string> {
    const result = await this.checked(
      "show",
      ["show", "-no-color", planFile],
      dir,
      this.timeouts.show,
    );
    return result.stdout;
  }

  async apply(dir: string, planFile: string): Promise<RunResult> {
    return this.checked(
      "apply",
      ["apply", "-input=false", "-no-color", `-lock-timeout=${this.lockTimeout}`, planFile],
      dir,
      this.limit("apply"),
    );
  }

  /**
   * Who holds the root's state lock, from the error a plan that may not wait for it gives; undefined
   * when nobody does. (A plan that gets the lock releases it at once and changes nothing.)
   */
  async lockHolder(dir: string): Promise<LockInfo | undefined> {
    const args = ["plan", "-input=false", "-no-color", "-refresh=false", "-lock-timeout=0s"];
    const result = await this.exec(args, dir, this.limit("plan"));
    if (result.code === 0) return undefined;
    const info = parseLockInfo(result.stderr + result.stdout);
    if (!info) throw new TerraformError("plan failed (not for a lock)", result);
    return info;
  }

  async forceUnlock(dir: string, id: string): Promise<RunResult> {
    return this.checked("force-unlock", ["force-unlock", "-force", id], dir, this.limit("init"));
  }

  private async checked(what: string, args: string[], dir: string, timeout: number) {
    const result = await this.exec(args, dir, timeout);
    if (result.code !== 0) throw new TerraformError(`${what} failed`, result);
    return result;
  }

  /** Runs the binary; a timeout kills it and reads as a failure, never a hang. */
  exec(args: string[], cwd: string, timeoutMs: number): Promise<RunResult> {
    return new Promise((resolve) => {
      if (!existsSync(cwd)) {
        resolve({ code: 1, stdout: "", stderr: `directory ${cwd} does not exist` });
        return;
      }
      const child = spawn(this.bin, args, {
        cwd,
        env: this.env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on("data", (b: Buffer) => out.push(b));
      child.stderr.on("data", (b: Buffer) => err.push(b));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGINT"); // lets Terraform release its lock; SIGKILL follows
        setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
      }, timeoutMs);
      const finish = (code: number, extra = "") => {
        clearTimeout(timer);
        const stderr = Buffer.concat(err).toString("utf8") + extra;
        resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr });
      };
      child.on("error", (e) => finish(127, `cannot run ${this.bin}: ${e.message}`));
      child.on("close", (code) =>
        finish(
          timedOut ? 124 : (code ?? 1),
          timedOut ? `\n${this.bin} ${args[0]} timed out after ${timeoutMs / 1000} s` : "",
        ),
      );
    });
  }
}

/**
 * The JSON document of a `-json` command. OpenTofu prints CLI configuration warnings to stdout
 * before it, so the document starts at the first line that begins with `{` and parses to the end.
 */
export function jsonDocument(result: RunResult): string {
  const text = result.stdout;
  for (let at = 0; at < text.length; at = text.indexOf("\n", at) + 1 || text.length) {
    if (text[at] !== "{") continue;
    const candidate = text.slice(at).trim();
    try {
      JSON.parse(candidate);
      return candidate;
    } catch {
      // not where the document starts
    }
  }
  throw new TerraformError("no JSON document in the output", result);
}

export interface LockInfo {
  id: string;
  who: string;
  operation: string;
  created: string;
}

/**
 * The holder of a state lock from the error Terraform and OpenTofu print. The "Lock Info:" block
 * names the holder, except in Terraform's http backend, which prints its own attempt there and
 * the holder's ID only in the message ("already locked: ID=…"): that ID wins when they differ.
 */
export function parseLockInfo(text: string): LockInfo | undefined {
  if (!/Error acquiring the state lock/.test(text)) return undefined;
  const field = (name: string) =>
    new RegExp(`^\\s*${name}:[ \\t]*(.*)$`, "m").exec(text)?.[1]?.trim() ?? "";
  const block = {
    id: field("ID"),
    who: field("Who"),
    operation: field("Operation"),
    created: field("Created"),
  };
  const named = /already locked: ID=(\S+)/.exec(text)?.[1];
  if (named && named !== block.id) return { id: named, who: "", operation: "", created: "" };
  return block.id ? block : undefined;
}

/** A plugin cache directory for this run, under the runner's temp directory. */
export function runPluginCache(tempDir: string, runId: string): string {
  return join(tempDir, `tandem-plugin-cache-${runId}`);
}

/** How many providers init installed into the cache (rather than linked from it). */
export function providerFetches(initOutput: string): number {
  return initOutput.split("\n").filter((line) => /^- Installing \S+ v/.test(line.trim())).length;
}
