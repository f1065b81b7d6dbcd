// The download of actions/download-artifact, for rehearsals (see action.yml).
import { appendFileSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const input = (name) => (process.env[`INPUT_${name.toUpperCase()}`] ?? "").trim();
const fail = (message) => {
  console.log(`::error title=download-artifact::${message}`);
  process.exit(1);
};

/** A toolkit package from the workspace the rehearsal runs from (the real action bundles it). */
async function load(name) {
  const root = process.env.TANDEM_REHEARSAL_PACKAGES;
  if (!root) fail("TANDEM_REHEARSAL_PACKAGES is not set (the rehearsal's runner sets it)");
  const dir = join(root, "node_modules", name);
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  return import(pathToFileURL(join(dir, manifest.exports?.["."]?.import ?? manifest.main)).href);
}

const name = input("name") || fail("the stand-in downloads one artifact by name: give `name`");
for (const unsupported of ["pattern", "github-token", "run-id"])
  if (input(unsupported)) fail(`\`${unsupported}\` is not stood in for`);
const path = resolve(process.env.GITHUB_WORKSPACE ?? ".", input("path"));
const { DefaultArtifactClient } = await load("@actions/artifact");
const client = new DefaultArtifactClient();
try {
  const { artifact } = await client.getArtifact(name);
  await client.downloadArtifact(artifact.id, { path });
} catch (error) {
  fail(`Unable to download artifact(s): ${error.message}`);
}
appendFileSync(process.env.GITHUB_OUTPUT, `download-path=${path}\n`);
console.log(`Artifact ${name} downloaded to ${path}`);
