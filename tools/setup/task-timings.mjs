// Prints the tasks of Nx profiles (NX_PROFILE files: Chrome trace events), each with when it
// started after the suite did and how long it took, in the order they ended: the last lines are
// the critical path's end.
// Usage: node tools/setup/task-timings.mjs <suite start, ms since the epoch> <profile.json>...
import { existsSync, readFileSync } from "node:fs";

const [start, ...files] = process.argv.slice(2);
const tasks = files
  .filter((file) => existsSync(file))
  .flatMap((file) => JSON.parse(readFileSync(file, "utf8")))
  .filter((event) => event.ph === "X")
  .map((event) => ({
    name: event.name,
    status: event.args?.status ?? "",
    from: event.ts / 1000 - Number(start),
    to: (event.ts + event.dur) / 1000 - Number(start),
  }))
  .sort((a, b) => a.to - b.to);
const seconds = (ms) => `${Math.round(ms / 1000)} s`.padStart(6);
const width = Math.max(4, ...tasks.map((t) => t.name.length));
console.log(`${"task".padEnd(width)}  start   took    end  status`);
for (const t of tasks) {
  console.log(
    `${t.name.padEnd(width)} ${seconds(t.from)} ${seconds(t.to - t.from)} ${seconds(t.to)}  ${t.status}`,
  );
}
