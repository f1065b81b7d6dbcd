import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** A running emulator, as recorded in `dist/sandbox/moto.json`. */
export interface MotoServer {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  /** The AWS account the emulator answers as (MOTO_ACCOUNT_ID). */
  readonly account: string;
}

export class SandboxError extends Error {}

/** moto's own default account, used when no environment asks for another. */
export const MOTO_DEFAULT_ACCOUNT = "123456789012";

const STARTUP_DEADLINE_MS = 30_000;
const STOP_DEADLINE_MS = 5_000;

/** Each sandbox (`--name`, default `default`) has its own emulator and working tree here. */
export const sandboxDir = (repoRoot: string, name = DEFAULT_NAME) =>
  join(repoRoot, "dist", "sandbox", name);
export const DEFAULT_NAME = "default";
const stateFile = (repoRoot: string, name: string) => join(sandboxDir(repoRoot, name), "moto.json");

export interface MotoOptions {
  /** Which sandbox: each has its own emulator, so two can run side by side. */
  readonly name?: string;
  /** The AWS account the emulator answers as. */
  readonly account?: string;
}

/**
 * The emulator recorded for this sandbox if its process is still running, else undefined (a
 * stale record is removed). A live process that does not answer within the startup deadline
 * is an error, not a reason to start a second one.
 */
export async function motoStatus(
  repoRoot: string,
  name = DEFAULT_NAME,
): Promise<MotoServer | undefined> {
  const file = stateFile(repoRoot, name);
  if (!existsSync(file)) return undefined;
  const server = JSON.parse(readFileSync(file, "utf8")) as MotoServer;
  if (!isOurs(server.pid)) {
    rmSync(file, { force: true });
    return undefined;
  }
  await waitUntilAnswering(server, name);
  return server;
}

/**
 * Starts moto's server (with the sandbox's extensions) on 127.0.0.1 on a free port, answering
 * as `account`, or returns the one already running. Installs the pinned moto into the
 * project's virtual environment on first use.
 */
export async function startMoto(repoRoot: string, options: MotoOptions = {}): Promise<MotoServer> {
  const { name = DEFAULT_NAME, account = MOTO_DEFAULT_ACCOUNT } = options;
  const running = await motoStatus(repoRoot, name);
  if (running) {
    if (running.account !== account) {
      throw new SandboxError(
        `sandbox ${name} is running as account ${running.account}, not ${account}; ` +
          `run \`tandem sandbox down --name ${name}\` first (its resources are discarded)`,
      );
    }
    return running;
  }
  const python = ensureMoto(repoRoot);
  const port = await freePort();
  const dir = sandboxDir(repoRoot, name);
  mkdirSync(dir, { recursive: true });
  const log = openSync(join(dir, "moto.log"), "a");
  const child = spawn(
    python,
    [
      join(repoRoot, "tools/sandbox/moto/tandem_moto.py"),
      "--host",
      "127.0.0.1",
      "--port",
      `${port}`,
    ],
    {
      detached: true,
      stdio: ["ignore", log, log],
      env: {
        PATH: process.env.PATH ?? "",
        MOTO_ACCOUNT_ID: account,
        // DNS validation is not emulated (known-gaps.json): issue certificates at once.
        MOTO_ACM_VALIDATION_WAIT: "2",
      },
    },
  );
  child.unref();
  const server = { endpoint: `http://127.0.0.1:${port}`, port, pid: child.pid!, account };
  try {
    await waitUntilAnswering(server, name);
  } catch (error) {
    killGroup(server.pid, "SIGKILL");
    throw error;
  }
  writeFileSync(stateFile(repoRoot, name), `${JSON.stringify(server, null, 2)}\n`);
  return server;
}

/** An emulator of one caller's own, under a name no other caller uses. */
export interface PrivateMoto extends MotoServer {
  readonly name: string;
  /** Stops the emulator and removes its folder (record and log). */
  stop(): Promise<void>;
}

/**
 * Starts an emulator (the sandbox's, with its extensions) that no other run shares, so one run's
 * resources never meet another's; `stop` leaves nothing behind.
 */
export async function startPrivateMoto(
  repoRoot: string,
  options: { readonly label: string; readonly account?: string },
): Promise<PrivateMoto> {
  const name = `${options.label}-${process.pid}-${randomBytes(3).toString("hex")}`;
  const stop = async () => {
    await stopMoto(repoRoot, name);
    rmSync(sandboxDir(repoRoot, name), { recursive: true, force: true });
  };
  try {
    const server = await startMoto(repoRoot, { name, account: options.account });
    return { ...server, name, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Stops exactly the recorded emulator process (and its group); true if one was running. */
export async function stopMoto(repoRoot: string, name = DEFAULT_NAME): Promise<boolean> {
  const file = stateFile(repoRoot, name);
  if (!existsSync(file)) return false;
  const { pid } = JSON.parse(readFileSync(file, "utf8")) as MotoServer;
  rmSync(file, { force: true });
  if (!isOurs(pid)) return false;
  killGroup(pid, "SIGTERM");
  const stopped = await pollUntil(() => !isAlive(pid), {
    deadlineMs: STOP_DEADLINE_MS,
    everyMs: 50,
  });
  if (!stopped) killGroup(pid, "SIGKILL");
  return true;
}

/** The project's python with moto's server, or undefined while the virtual environment lacks it. */
export function motoBinary(repoRoot: string): string | undefined {
  const venv = join(repoRoot, ".venv", "bin");
  return existsSync(join(venv, "moto_server")) ? join(venv, "python") : undefined;
}

/** The venv's python with the pinned moto, installing it when missing or at another version. */
export function ensureMoto(repoRoot: string): string {
  const requirements = join(repoRoot, "tools/sandbox/requirements.txt");
  const pinned = /moto\[server\]==(\S+)/.exec(readFileSync(requirements, "utf8"))![1]!;
  const python = join(repoRoot, ".venv", "bin", "python");
  if (installedMoto(python) === pinned) return python;
  try {
    if (!existsSync(python)) execFileSync("python3", ["-m", "venv", join(repoRoot, ".venv")]);
    execFileSync(
      python,
      ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", requirements],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
  } catch (error) {
    throw new SandboxError(
      `could not install moto ${pinned} into .venv: ${(error as Error).message.split("\n")[0]}`,
    );
  }
  return python;
}

function installedMoto(python: string): string | undefined {
  if (!existsSync(python)) return undefined;
  try {
    return execFileSync(
      python,
      ["-c", "import importlib.metadata as m; print(m.version('moto'))"],
      { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
    ).trim();
  } catch {
    return undefined;
  }
}

async function waitUntilAnswering(server: MotoServer, name: string): Promise<void> {
  const answered = await pollUntil(
    async () => (await answers(server.endpoint)) || !isAlive(server.pid),
    { deadlineMs: STARTUP_DEADLINE_MS, everyMs: 100 },
  );
  if (!answered || !isAlive(server.pid)) {
    throw new SandboxError(
      `moto (pid ${server.pid}) does not answer on ${server.endpoint}; see dist/sandbox/${name}/moto.log`,
    );
  }
}

export interface PollOptions {
  /** How long to keep asking. */
  readonly deadlineMs: number;
  /** The pause between two asks. */
  readonly everyMs: number;
}

/** Asks `done` until it says true (then true) or the deadline passes (then false). */
export async function pollUntil(
  done: () => boolean | Promise<boolean>,
  { deadlineMs, everyMs }: PollOptions,
): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (await done()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}

/** Alive and still the sandbox's server: a recycled pid is never signalled. */
function isOurs(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("tandem_moto.py");
  } catch {
    return true; // no /proc (macOS): the pid is all there is
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal); // the server was started detached: its own process group
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** The extensions' health route: it serializes nothing, so it answers at once whatever the state holds. */
async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/tandem/health`, {
      signal: AbortSignal.timeout(2_000),
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
