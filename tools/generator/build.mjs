// Bundles the tandem CLI into dist/ (run by the root `prepare` script after npm ci).
// Libraries stay external; commands become chunks loaded on demand.
import { build } from "esbuild";
import { rmSync } from "node:fs";

const outdir = new URL("./dist/", import.meta.url).pathname;
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { tandem: new URL("./src/main.ts", import.meta.url).pathname },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  alias: {
    "@tandem/module-kit/canonical-json": new URL(
      "../module-kit/src/canonical-json.ts",
      import.meta.url,
    ).pathname,
  },
  outExtension: { ".js": ".mjs" },
  logLevel: "warning",
}).catch(() => {
  process.exitCode = 1; // esbuild has printed the errors
});
