import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type {
  ModuleDefinition,
  renderReadme,
  synthesizeModule,
  AWS_PROVIDER,
  REQUIRED_TERRAFORM_VERSION,
} from "@tandem/module-kit";
import { DOMAINS, type Domain } from "../manifest/schema.ts";
import { ownedName, removeLeftovers } from "../write.ts";

/** A source tree's module definitions, with the tree's own kit to synthesize them. */
export interface ModuleSources {
  readonly root: string;
  readonly definitions: Record<Domain, ModuleDefinition>;
  readonly kit: {
    synthesizeModule: typeof synthesizeModule;
    renderReadme: typeof renderReadme;
    AWS_PROVIDER: typeof AWS_PROVIDER;
    REQUIRED_TERRAFORM_VERSION: typeof REQUIRED_TERRAFORM_VERSION;
  };
}

/**
 * Loads the six module definitions from the source tree at `root` (the working tree, or an
 * older commit checked out elsewhere). One esbuild bundle of the tree's own sources, with the
 * libraries left to this installation, keeps the load to one import and tens of milliseconds.
 * The bundle is CommonJS and loaded with `require`: cdktf and the provider classes are
 * CommonJS, and importing them from an ES module makes Node scan every file they re-export
 * for its export names (a third of an uncached synth, measured by `npm run bench`).
 */
export async function loadModuleSources(
  root: string,
  signal?: AbortSignal,
): Promise<ModuleSources> {
  const entry = [
    ...DOMAINS.map((d) => `export { default as ${d} } from "./modules/${d}/src/index.ts";`),
    `export * as kit from "@tandem/module-kit";`,
  ].join("\n");
  // esbuild is loaded only here (a synth answered by the module cache never needs it), and
  // required rather than imported: the build then starts before this function first yields,
  // so it runs while the caller validates the manifests.
  const { build } = createRequire(import.meta.url)("esbuild") as typeof import("esbuild");
  const result = await build({
    stdin: { contents: entry, resolveDir: root, loader: "ts", sourcefile: "tandem-modules.ts" },
    bundle: true,
    write: false,
    format: "cjs",
    platform: "node",
    target: "node20",
    packages: "external",
    alias: { "@tandem/module-kit": join(root, "tools/module-kit/src") },
    // The sources are ES modules: import.meta names the bundle's own file, as it did for an
    // ES module bundle written to the same place.
    define: {
      "import.meta.url": "__tandemBundleUrl",
      "import.meta.filename": "__filename",
      "import.meta.dirname": "__dirname",
    },
    banner: { js: 'const __tandemBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
    logLevel: "silent",
  });
  signal?.throwIfAborted(); // not wanted any more: do not load cdktf for nothing
  const code = result.outputFiles[0]!.contents;
  // Written beside the installed packages so the bundle's bare requires resolve to them; named
  // by content so two trees in one process never share a module cache entry, and by process so
  // a parallel load never reads a half-written file. Once loaded the file is not needed, and
  // the bundles of killed runs are removed by the next load.
  const hash = createHash("sha256").update(code).digest("hex").slice(0, 16);
  const dir = cacheDir();
  removeLeftovers(dir, "bundle-");
  const file = join(dir, `${ownedName("bundle-")}-${hash}.cjs`);
  writeFileSync(file, code);
  let loaded: Record<string, unknown>;
  try {
    loaded = createRequire(import.meta.url)(file) as Record<string, unknown>;
  } finally {
    rmSync(file, { force: true });
  }
  const { kit, ...definitions } = loaded;
  return {
    root,
    definitions: definitions as ModuleSources["definitions"],
    kit: kit as ModuleSources["kit"],
  };
}

/** The node_modules folder this installation resolves its libraries from. */
export function installedPackages(): string {
  const cdktf = createRequire(import.meta.url).resolve("cdktf");
  return cdktf.slice(0, cdktf.lastIndexOf("node_modules") + "node_modules".length);
}

function cacheDir(): string {
  const dir = join(installedPackages(), ".cache", "tandem");
  mkdirSync(dir, { recursive: true });
  return dir;
}
