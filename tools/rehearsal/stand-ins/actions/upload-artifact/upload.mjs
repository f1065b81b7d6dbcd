// The upload of actions/upload-artifact, for rehearsals (see action.yml).
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const input = (name) => (process.env[`INPUT_${name.toUpperCase()}`] ?? "").trim();
const fail = (message) => {
  console.log(`::error title=upload-artifact::${message}`);
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

const files = (path) =>
  statSync(path).isDirectory()
    ? readdirSync(path, { recursive: true })
        .map((entry) => join(path, String(entry)))
        .filter((file) => statSync(file).isFile())
    : [path];

const name = input("name") || "artifact";
const pattern = input("path") || fail("Input required and not supplied: path");
if (/[*?[\]!\n]/.test(pattern)) fail(`the stand-in takes one plain path, not "${pattern}"`);
const path = resolve(process.env.GITHUB_WORKSPACE ?? ".", pattern);
if (!existsSync(path)) {
  const message = `No files were found with the provided path: ${pattern}. No artifacts will be uploaded.`;
  const mode = input("if-no-files-found") || "warn";
  if (mode === "error") fail(message);
  console.log(mode === "warn" ? `::warning::${message}` : message);
  process.exit(0);
}
const root = statSync(path).isDirectory() ? path : dirname(path);
const { DefaultArtifactClient } = await load("@actions/artifact");
const retention = Number(input("retention-days") || 0);
const { id, digest } = await new DefaultArtifactClient()
  .uploadArtifact(name, files(path), root, {
    ...(retention > 0 ? { retentionDays: retention } : {}),
    compressionLevel: Number(input("compression-level") || 6),
  })
  .catch((error) => fail(`upload of ${name} failed: ${error.message}`));
const repository = process.env.GITHUB_REPOSITORY;
const url = `${process.env.GITHUB_SERVER_URL}/${repository}/actions/runs/${process.env.GITHUB_RUN_ID}/artifacts/${id}`;
appendFileSync(
  process.env.GITHUB_OUTPUT,
  `artifact-id=${id}\nartifact-url=${url}\nartifact-digest=${digest ?? ""}\n`,
);
console.log(`Artifact ${name} uploaded (id ${id}): ${relative(root, path) || "."}`);
