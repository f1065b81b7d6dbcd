/** The record of a sandbox's gateway process, `dist/sandbox/<name>/gateway.json`. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sandboxDir } from "../moto.ts";

export interface GatewayRecord {
  readonly endpoint: string;
  readonly pid: number;
  /** The emulator it fronts. */
  readonly motoPid: number;
}

export const gatewayFile = (repoRoot: string, name: string) =>
  join(sandboxDir(repoRoot, name), "gateway.json");

export function writeRecord(repoRoot: string, name: string, record: GatewayRecord): void {
  writeFileSync(gatewayFile(repoRoot, name), `${JSON.stringify(record, null, 2)}\n`);
}

export function readRecord(repoRoot: string, name: string): GatewayRecord | undefined {
  const file = gatewayFile(repoRoot, name);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as GatewayRecord;
  } catch {
    return undefined; // being written
  }
}
