import { createRequire } from "node:module";
import { resolve } from "node:path";
import { buildSync } from "esbuild";
import { zipSync } from "fflate";

/** A regular file, readable by everyone (the Lambda runtime does not run as the file's owner). */
const UNIX_FILE_0644 = (0o100644 << 16) >>> 0;

/**
 * Bundles the payment handler into `handler.zip`: one minified ES module, with the AWS SDK v3
 * left to the Lambda runtime. The bytes depend only on the sources and the installed packages.
 */
export function bundleHandler(moduleDir: string): Uint8Array {
  const result = buildSync({
    entryPoints: [resolve(moduleDir, "src/handler/index.ts")],
    bundle: true,
    write: false,
    platform: "node",
    target: "node22",
    format: "esm",
    minify: true,
    legalComments: "none",
    external: ["@aws-sdk/*"],
    // The sources may come from another checkout (an older release): resolve packages here.
    nodePaths: [installedNodeModules()],
    outfile: "index.mjs",
    logLevel: "silent",
  });
  const code = result.outputFiles[0]!.contents;
  // Zip headers hold local time: a date made of local fields at build time is the same anywhere.
  const mtime = new Date(1980, 0, 1);
  return zipSync({ "index.mjs": [code, { os: 3, attrs: UNIX_FILE_0644 }] }, { level: 9, mtime });
}

function installedNodeModules(): string {
  const entry = createRequire(import.meta.url).resolve("zod");
  return entry.slice(0, entry.lastIndexOf("node_modules") + "node_modules".length);
}
