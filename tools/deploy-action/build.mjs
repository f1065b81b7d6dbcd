// Bundles the action into dist/index.js, which is committed: `uses: ./tools/deploy-action` runs
// it with no install step. test/dist.test.ts rebuilds into a temp dir and fails when the bytes differ.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

/** The one esbuild configuration, so the check rebuilds exactly what is committed. */
export async function bundle(outfile) {
  await build({
    entryPoints: [fileURLToPath(new URL("./src/index.ts", import.meta.url))],
    outfile,
    // Paths in the bundle's comments are relative to this, so they do not depend on the caller.
    absWorkingDir: fileURLToPath(new URL("../..", import.meta.url)),
    // Paths stay as node_modules/… even when node_modules is a link (a scratch checkout).
    preserveSymlinks: true,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node24",
    minify: false,
    legalComments: "none",
    // Some CommonJS dependencies call require(); ESM output needs it defined.
    banner: {
      js: "import { createRequire as __tandemRequire } from 'node:module'; const require = __tandemRequire(import.meta.url);",
    },
    logLevel: "warning",
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // `node build.mjs [outfile]`: the stale-bundle check builds elsewhere and compares bytes.
  const outfile = process.argv[2] ?? fileURLToPath(new URL("./dist/index.js", import.meta.url));
  await bundle(outfile).catch(() => {
    process.exitCode = 1; // esbuild has printed the errors
  });
}
