/**
 * The gateway process's entry (bundled and started by process.ts):
 * `node gateway.mjs <repoRoot> <sandbox name> <moto record as JSON>`. It ends when its
 * emulator ends.
 */
import { isAlive, type MotoServer } from "../moto.ts";
import { startGateway } from "./gateway.ts";
import { writeRecord } from "./record.ts";

const [repoRoot, name, motoJson] = process.argv.slice(2) as [string, string, string];
const moto = JSON.parse(motoJson) as MotoServer;
const gateway = await startGateway({
  repoRoot,
  name,
  moto,
  log: (line) => console.log(`${new Date().toISOString()} ${line}`),
});
writeRecord(repoRoot, name, { endpoint: gateway.endpoint, pid: process.pid, motoPid: moto.pid });
console.log(`gateway on ${gateway.endpoint} in front of moto ${moto.endpoint} (pid ${moto.pid})`);
setInterval(() => {
  if (!isAlive(moto.pid)) void gateway.close().then(() => process.exit(0));
}, 1_000);
