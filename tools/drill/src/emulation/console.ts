import { format } from "node:util";

/**
 * The payment handler in the emulation logs with console, as Lambda collects it for CloudWatch;
 * where stdout is a report (the CLI's `--json`, a rehearsal's), its lines go to `write` until the
 * returned function restores the console.
 */
export function redirectConsole(write: (text: string) => void): () => void {
  const methods = ["log", "info", "warn", "error"] as const;
  const saved = methods.map((name) => console[name]);
  for (const name of methods) console[name] = (...args: unknown[]) => write(`${format(...args)}\n`);
  return () => methods.forEach((name, i) => (console[name] = saved[i]!));
}
