import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly seconds: number;
}

export interface RunOptions {
  readonly cwd: string;
  readonly env: Record<string, string>;
  readonly timeoutMs: number;
  /** Called with each stdout line as it arrives (Terraform's `-json` UI is one event a line). */
  readonly onLine?: (line: string) => void;
}

/**
 * Runs a tool in its own process group, so a time-out ends it and the provider plugins it
 * started: nothing is left running and nothing hangs.
 */
export function runTool(bin: string, args: string[], options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: string[] = [];
    const err: string[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      kill(child.pid!, "SIGTERM");
      setTimeout(() => kill(child.pid!, "SIGKILL"), 5_000).unref();
    }, options.timeoutMs);
    createInterface({ input: child.stdout }).on("line", (line) => {
      out.push(line);
      options.onLine?.(line);
    });
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk.toString()));
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      kill(child.pid!, "SIGKILL"); // any plugin the tool left behind
      resolve({
        code: code ?? 1,
        stdout: out.join("\n"),
        stderr: err.join(""),
        timedOut,
        seconds: (performance.now() - started) / 1000,
      });
    });
  });
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}
