// Bundles the tandem CLI into dist/ (run by the root `prepare` script after npm ci).
// The workspace's own packages (@tandem/*, TypeScript sources) are bundled in, and so are the
// small libraries every command loads at start (loaded file by file through Node's ES module
// loader they took a third of `tandem validate`); other third-party libraries stay external.
// Commands become chunks loaded on demand.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

// fileURLToPath, not URL.pathname: a checkout under a folder with spaces or non-ASCII
// characters has them percent-encoded in the URL's path.
const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const outdir = here("./dist/");

const bundledLibraries = /^(?:@tandem\/|(?:yaml|zod|semver|fastest-levenshtein)(?:\/|$))/;

/** Bare imports stay external unless they name a workspace package or a bundled library. */
const externalLibraries = {
  name: "external-libraries",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, ({ path }) =>
      bundledLibraries.test(path) ? undefined : { path, external: true },
    );
  },
};

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { tandem: here("./src/main.ts") },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  plugins: [externalLibraries],
  outExtension: { ".js": ".mjs" },
  // The bundled CommonJS libraries require Node's built-in modules.
  banner: {
    js: 'import { createRequire as tandemRequire } from "node:module"; const require = tandemRequire(import.meta.url);',
  },
  logLevel: "warning",
}).catch(() => {
  process.exitCode = 1; // esbuild has printed the errors
});
