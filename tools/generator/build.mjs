// Bundles the tandem CLI into dist/ (run by the root `prepare` script after npm ci).
// Libraries stay external; commands become chunks loaded on demand.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

// fileURLToPath, not URL.pathname: a checkout under a folder with spaces or non-ASCII
// characters has them percent-encoded in the URL's path.
const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const outdir = here("./dist/");
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { tandem: here("./src/main.ts") },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  // Only the kit's dependency-free subpaths are imported at run time; types are erased.
  alias: { "@tandem/module-kit": here("../module-kit/src") },
  outExtension: { ".js": ".mjs" },
  logLevel: "warning",
}).catch(() => {
  process.exitCode = 1; // esbuild has printed the errors
});
