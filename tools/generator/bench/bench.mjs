// Benchmark: `npm run bench`. Prints medians of several runs, each as a ratio to a floor
// measured in the same run, because these machines are noisy. Not a test: it never fails.
//   floor     node importing exactly the libraries `tandem synth` loads, and nothing else
//   synth     full `tandem synth` of every environment (writes dist/)
//   affected  `tandem affected --base HEAD` (synthesizes HEAD and the working tree)
//   node      an empty node process, the floor for
//   validate  `tandem validate` of every manifest (no cdktf loaded)
// and, in one process, the median time to synthesize each module from its loaded definition.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const root = new URL("../../../", import.meta.url).pathname;
const runs = Number(process.env.BENCH_RUNS ?? 7);
const tandem = join(root, "tools/generator/bin/tandem.mjs");
const rss = join(root, "tools/generator/bench/report-rss.mjs");

/** Bare imports of the CLI and of the module bundle, as esbuild resolves them. */
async function libraryImports() {
  const entries = {
    cli: join(root, "tools/generator/src/main.ts"),
    modules: join(root, "node_modules/.cache/tandem/bench-modules.ts"),
  };
  mkdirSync(join(root, "node_modules/.cache/tandem"), { recursive: true });
  const domains = ["networking", "database", "backup", "compute", "monitoring", "dns"];
  writeFileSync(
    entries.modules,
    domains.map((d) => `export * from "${join(root, "modules", d, "src/index.ts")}";`).join("\n"),
  );
  const result = await build({
    entryPoints: Object.values(entries),
    bundle: true,
    write: false,
    outdir: "unused",
    format: "esm",
    platform: "node",
    packages: "external",
    alias: { "@tandem/module-kit": join(root, "tools/module-kit/src") },
    metafile: true,
    logLevel: "silent",
  });
  const imports = Object.values(result.metafile.outputs).flatMap((o) =>
    o.imports.filter((i) => i.external).map((i) => i.path),
  );
  return [...new Set(imports)].filter((path) => !path.startsWith("node:")).sort();
}

function time(args) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ["--import", rss, ...args], {
    cwd: root,
    encoding: "utf8",
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(" ")} failed:\n${result.stderr}`);
  const kb = Number(/TANDEM_MAX_RSS_KB=(\d+)/.exec(result.stderr)?.[1] ?? 0);
  return { ms, mib: kb / 1024 };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const floorFile = join(root, "node_modules/.cache/tandem/bench-floor.mjs");
const libraries = await libraryImports();
writeFileSync(floorFile, libraries.map((lib) => `import "${lib}";`).join("\n") + "\n");

const cases = {
  node: ["-e", ""],
  validate: [tandem, "validate"],
  floor: [floorFile],
  synth: [tandem, "synth"],
  affected: [tandem, "affected", "--base", "HEAD"],
};
const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
time(cases.synth); // warm the file cache once
for (let i = 0; i < runs; i++)
  for (const [name, args] of Object.entries(cases)) samples[name].push(time(args));

const result = Object.fromEntries(
  Object.entries(samples).map(([name, s]) => [
    name,
    { ms: median(s.map((x) => x.ms)), mib: Math.max(...s.map((x) => x.mib)) },
  ]),
);
console.log(`tandem benchmark: median of ${runs} runs, ${libraries.length} libraries in the floor`);
console.log("case      median ms   peak MiB   ratio");
const row = (name, ratio, goal) =>
  console.log(
    `${name.padEnd(9)} ${result[name].ms.toFixed(0).padStart(9)} ${result[name].mib.toFixed(0).padStart(10)}   ${ratio}${goal ? `  (goal ${goal})` : ""}`,
  );
row("node", "1.00x node");
row("validate", `${(result.validate.ms / result.node.ms).toFixed(2)}x node`);
row("floor", "1.00x floor");
row("synth", `${(result.synth.ms / result.floor.ms).toFixed(2)}x floor`, "<= 2.5x, <= 300 MiB");
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
