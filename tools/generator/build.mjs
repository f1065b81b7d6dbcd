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
  // Only the kit's dependency-free subpaths are imported at run time; types are erased.
  alias: { "@tandem/module-kit": new URL("../module-kit/src", import.meta.url).pathname },
  outExtension: { ".js": ".mjs" },
  logLevel: "warning",
}).catch(() => {
  process.exitCode = 1; // esbuild has printed the errors
});
