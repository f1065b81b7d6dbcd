#!/usr/bin/env node
// The CLI is bundled by `npm ci` / `npm install` (the root prepare script).
try {
  await import("../dist/tandem.mjs");
} catch (error) {
  if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes("dist/tandem.mjs"))
    throw error;
  console.error(
    "tandem: the CLI is not built yet; run `npm install` (or `node tools/cli/build.mjs`)",
  );
  process.exitCode = 2;
}
