// Interim developer helper: synthesize one module to dist/modules/<domain>/ (main.tf.json, assets, README.md).
// Usage: node tools/module-kit/scripts/emit.mjs <domain>
import { build } from "esbuild";
import { mkdirSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const domain = process.argv[2];
const out = `node_modules/.cache/tandem/emit-${domain}.mjs`;
await build({
  stdin: {
    contents: `
  import definition from "./modules/${domain}/src/index.ts";
  import { synthesizeModule, canonicalJson, renderReadme } from "./tools/module-kit/src/index.ts";
  export const artifact = synthesizeModule(definition);
  export const readme = renderReadme(definition, artifact);
  export { canonicalJson };`,
    resolveDir: ".",
    loader: "ts",
  },
  bundle: true,
  format: "esm",
  platform: "node",
  packages: "external",
  alias: { "@tandem/module-kit": "./tools/module-kit/src/index.ts" },
  outfile: out,
  logLevel: "error",
});
const { artifact, readme, canonicalJson } = await import(pathToFileURL(out).href);
const dir = `dist/modules/${domain}`;
mkdirSync(dir, { recursive: true });
const { required_version, ...settings } = artifact.json.terraform;
writeFileSync(`${dir}/main.tf.json`, canonicalJson({ ...artifact.json, terraform: settings }));
writeFileSync(`${dir}/versions.tf.json`, canonicalJson({ terraform: { required_version } }));
writeFileSync(`${dir}/README.md`, readme);
for (const [name, bytes] of Object.entries(artifact.assets)) writeFileSync(`${dir}/${name}`, bytes);
console.log(
  `${dir}: ${Object.values(artifact.json.resource ?? {}).reduce((n, r) => n + Object.keys(r).length, 0)} resources`,
);
