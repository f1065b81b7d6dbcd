// Benchmark: `npm run bench`. Prints medians of several runs, each as a ratio to a floor
// measured in the same run, because these machines are noisy. Not a test: it never fails.
//   floor     node with a plain `require` of cdktf and exactly the provider classes the modules
//             import (no bundler, no generator): what any synthesis must at least load
//   synth     full `tandem synth` of every environment with the module cache off (writes dist/)
//   cached    `tandem synth` again, module sources unchanged (the module cache answers)
//   affected  `tandem affected --base HEAD` (synthesizes HEAD and the working tree)
//   node      an empty node process, the floor for
//   validate  `tandem validate` of every manifest (no cdktf loaded)
// and, in one process, the median time to synthesize each module from its loaded definition.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 7);
const tandem = join(root, "tools/cli/bin/tandem.mjs");
const rss = join(root, "tools/generator/bench/report-rss.mjs");

/** `cdktf` and every `@cdktf/provider-aws/lib/<class>` the modules and the kit import. */
function providerClasses() {
  const found = new Set();
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts"))
        for (const [, lib] of readFileSync(path, "utf8").matchAll(
          /"@cdktf\/provider-aws\/lib\/([a-z0-9-]+)/g,
        ))
          found.add(lib);
    }
  };
  for (const domain of readdirSync(join(root, "modules")))
    walk(join(root, "modules", domain, "src"));
  walk(join(root, "tools/module-kit/src"));
  return [...found].sort();
}

function time([args, env = {}, expected = 0]) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ["--import", rss, ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, ...env },
    maxBuffer: 1 << 28,
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== expected)
    throw new Error(`${args.join(" ")} failed:\n${result.stderr.slice(0, 2000)}`);
  const kb = Number(/TANDEM_MAX_RSS_KB=(\d+)/.exec(result.stderr)?.[1] ?? 0);
  return { ms, mib: kb / 1024 };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

mkdirSync(join(root, "node_modules/.cache/tandem"), { recursive: true });
const floorFile = join(root, "node_modules/.cache/tandem/bench-floor.cjs");
const classes = providerClasses();
writeFileSync(
  floorFile,
  ['require("cdktf");', ...classes.map((c) => `require("@cdktf/provider-aws/lib/${c}/index.js");`)]
    .join("\n")
    .concat("\n"),
);

// A manifest at the size cap: the example padded with unknown keys, every one a problem.
const bigDir = join(root, "node_modules/.cache/tandem/bench-big");
mkdirSync(bigDir, { recursive: true });
const example = readFileSync(join(root, "environments/staging.yaml"), "utf8");
let big = example.replace(/^name: .*$/m, "name: big");
for (let i = 0; big.length < 1024 * 1024 - 32; i++) big += `unknown${i}: 1\n`;
writeFileSync(join(bigDir, "big.yaml"), big);

const cases = {
  node: [["-e", ""]],
  validate: [[tandem, "validate"]],
  "validate-1mib": [[tandem, "validate", join(bigDir, "big.yaml")], {}, 1],
  floor: [[floorFile]],
  synth: [[tandem, "synth"], { TANDEM_MODULE_CACHE: "off" }],
  cached: [[tandem, "synth"]],
  affected: [[tandem, "affected", "--base", "HEAD"]],
};
const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
time(cases.synth); // warm the file cache once
time(cases.cached); // and the module cache
for (let i = 0; i < runs; i++)
  for (const [name, args] of Object.entries(cases)) samples[name].push(time(args));

const result = Object.fromEntries(
  Object.entries(samples).map(([name, s]) => [
    name,
    { ms: median(s.map((x) => x.ms)), mib: Math.max(...s.map((x) => x.mib)) },
  ]),
);
console.log(
  `tandem benchmark: median of ${runs} runs; floor: cdktf and ${classes.length} provider classes`,
);
console.log("case          median ms   peak MiB   ratio");
const row = (name, ratio, goal) =>
  console.log(
    `${name.padEnd(13)} ${result[name].ms.toFixed(0).padStart(9)} ${result[name].mib.toFixed(0).padStart(10)}   ${ratio}${goal ? `  (goal ${goal})` : ""}`,
  );
row("node", "1.00x node");
row("validate", `${(result.validate.ms / result.node.ms).toFixed(2)}x node`);
row("validate-1mib", `${(result["validate-1mib"].ms / result.node.ms).toFixed(2)}x node`);
row("floor", "1.00x floor");
row("synth", `${(result.synth.ms / result.floor.ms).toFixed(2)}x floor`, "<= 2x, <= 300 MiB");
row("cached", `${(result.cached.ms / result.floor.ms).toFixed(2)}x floor`, "< 1x: no cdktf");
row("affected", `${(result.affected.ms / result.synth.ms).toFixed(2)}x synth`, "<= 3x");

// Per-module synthesis in one process: load the tree's modules once, then time each build.
const perModule = join(root, "node_modules/.cache/tandem/bench-modules.mjs");
await build({
  stdin: {
    contents: `
      import { loadModuleSources } from "./tools/generator/src/modules/load.ts";
      import { DOMAINS } from "./tools/generator/src/manifest/schema.ts";
      const sources = await loadModuleSources(process.cwd());
      const times = {};
      for (const d of DOMAINS) {
        times[d] = [];
        for (let i = 0; i < ${runs}; i++) {
          const started = performance.now();
          const { json } = sources.kit.synthesizeModule(sources.definitions[d], "modules/" + d);
          times[d].push(performance.now() - started);
          times[d].resources = Object.values(json.resource ?? {}).reduce((n, r) => n + Object.keys(r).length, 0);
        }
      }
      console.log(JSON.stringify(Object.fromEntries(Object.entries(times).map(([d, t]) => [d, { ms: [...t].sort((a, b) => a - b)[t.length >> 1], resources: t.resources }]))));`,
    resolveDir: root,
    loader: "ts",
  },
  bundle: true,
  format: "esm",
  platform: "node",
  packages: "external",
  alias: { "@tandem/module-kit": join(root, "tools/module-kit/src") },
  outfile: perModule,
  logLevel: "silent",
});
const modules = JSON.parse(
  spawnSync(process.execPath, [perModule], { cwd: root, encoding: "utf8" }).stdout,
);
console.log("\nmodule       synth ms (median, in-process)   resources");
for (const [domain, { ms, resources }] of Object.entries(modules)) {
  console.log(
    `${domain.padEnd(12)} ${ms.toFixed(1).padStart(8)} ${String(resources).padStart(27)}`,
  );
}
