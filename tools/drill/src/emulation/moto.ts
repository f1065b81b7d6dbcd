import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, connect } from "node:net";
import { join } from "node:path";

export interface PrivateMoto {
  endpoint: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

const STARTUP_DEADLINE_MS = 30_000;
const STOP_DEADLINE_MS = 5_000;

/** The project's moto server, or undefined when the virtual environment does not have it. */
export function motoBinary(repoRoot: string): string | undefined {
  const binary = join(repoRoot, ".venv", "bin", "moto_server");
  return existsSync(binary) ? binary : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });

/**
 * A moto server of this run's own on 127.0.0.1 (so a drill's tables never meet another run's),
 * stopped by its pid. Fails within a deadline instead of waiting for a server that never starts.
 */
export async function startPrivateMoto(repoRoot: string): Promise<PrivateMoto> {
  const binary = motoBinary(repoRoot);
  if (!binary) throw new Error(`moto is not installed in ${join(repoRoot, ".venv")}`);
  const port = await freePort();
  const child = spawn(binary, ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_DEADLINE_MS);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + STARTUP_DEADLINE_MS;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(
        `moto did not start on 127.0.0.1:${port} within ${STARTUP_DEADLINE_MS / 1000} s`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { endpoint: `http://127.0.0.1:${port}`, port, pid: child.pid!, stop };
}
