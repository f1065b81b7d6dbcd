import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { TerraformModuleJson } from "@tandem/module-kit";
import { canonicalJson } from "@tandem/module-kit/canonical-json";
import { CompositionError } from "../errors.ts";
import { readRegularFile } from "../files.ts";
import type { Domain } from "../manifest/schema.ts";
import type { ModuleSources } from "./load.ts";

/**
 * A module as files: `main.tf.json`, `versions.tf.json`, `removed.tf.json` (when the module
 * forgets addresses), `README.md` and its assets, by name.
 * The Terraform version requirement sits alone in `versions.tf.json` (Terraform merges
 * `terraform` blocks across files) because checkov's JSON parser fails on it and would
 * otherwise skip the whole module without a finding.
 */
export interface ModuleFiles {
  readonly json: TerraformModuleJson;
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** sha256 over every file name and content: a release's identity. */
  readonly sha256: string;
  /** sha256 over the files Terraform reads (not the README): what a deployment depends on. */
  readonly terraformSha256: string;
}

const encoder = new TextEncoder();

/** Synthesizes a domain's module from the tree's source into the files a module folder holds. */
export function moduleFiles(sources: ModuleSources, domain: Domain): ModuleFiles {
  const definition = sources.definitions[domain];
  const artifact = sources.kit.synthesizeModule(definition, join(sources.root, "modules", domain));
  const { required_version, ...settings } = artifact.json.terraform;
  const { removed, ...blocks } = artifact.json;
  const files = new Map<string, Uint8Array>([
    ["main.tf.json", encoder.encode(canonicalJson({ ...blocks, terraform: settings }))],
    ["versions.tf.json", encoder.encode(canonicalJson({ terraform: { required_version } }))],
    // Apart for the same reason: checkov's JSON parser fails on `removed` blocks.
    ...(removed ? [["removed.tf.json", encoder.encode(canonicalJson({ removed }))] as const] : []),
    ["README.md", encoder.encode(sources.kit.renderReadme(definition, artifact))],
    ...Object.entries(artifact.assets),
  ]);
  const { identity } = artifact;
  if (identity && definition.identity) {
    const part = { ...definition.identity, domain: `${domain} (identity)` };
    const { required_version: identityVersion, ...identitySettings } = identity.terraform;
    const json = { ...identity, terraform: identitySettings };
    const readme = sources.kit.renderReadme(part, { domain, json: identity, assets: {} });
    files.set(`${IDENTITY_FOLDER}/main.tf.json`, encoder.encode(canonicalJson(json)));
    files.set(
      `${IDENTITY_FOLDER}/versions.tf.json`,
      encoder.encode(canonicalJson({ terraform: { required_version: identityVersion } })),
    );
    files.set(`${IDENTITY_FOLDER}/README.md`, encoder.encode(readme));
  }
  return withHashes(artifact.json, files);
}

/**
 * The folder inside a module holding its identity part (its IAM, a module of its own that the
 * environment's identity root calls); absent in versions from before the identity root.
 */
export const IDENTITY_FOLDER = "identity";

/** A module's identity part as ModuleFiles of its own, or undefined when it has none. */
export function identityPart(module: ModuleFiles, label: string): ModuleFiles | undefined {
  const prefix = `${IDENTITY_FOLDER}/`;
  const files = new Map(
    [...module.files]
      .filter(([name]) => name.startsWith(prefix))
      .map(([name, bytes]) => [name.slice(prefix.length), bytes]),
  );
  return files.has("main.tf.json")
    ? parseModuleFiles(files, `${label}/${IDENTITY_FOLDER}`)
    : undefined;
}

/** Files in one module folder are read up to this size (the handler zip is ~10 KB). */
const MAX_MODULE_FILE = 16 * 1024 * 1024;

/**
 * Reads a released module snapshot, `release` being its folder relative to `root`
 * (`modules/<domain>/releases/<version>`); a broken snapshot is a located composition error.
 * Only regular files are read (a snapshot at a ref may hold a link to a device).
 */
export function readReleasedModule(root: string, release: string): ModuleFiles {
  const dir = join(root, release);
  if (!existsSync(join(dir, "main.tf.json"))) {
    throw new CompositionError(
      `${release}/main.tf.json: missing; a release folder must hold a synthesized module`,
    );
  }
  const files = new Map<string, Uint8Array>();
  const read = (name: string) => {
    const file = readRegularFile(join(dir, name), MAX_MODULE_FILE, "module file");
    if ("problem" in file) throw new CompositionError(`${release}/${name}: ${file.problem}`);
    files.set(name, file.bytes);
  };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === IDENTITY_FOLDER && entry.isDirectory()) {
      for (const name of readdirSync(join(dir, IDENTITY_FOLDER)).sort())
        read(`${IDENTITY_FOLDER}/${name}`);
    } else read(entry.name);
  }
  return parseModuleFiles(new Map([...files].sort(([a], [b]) => a.localeCompare(b))), release);
}

/** A module's files as ModuleFiles: its JSON with versions.tf.json merged in, and hashes. */
export function parseModuleFiles(
  files: ReadonlyMap<string, Uint8Array>,
  label: string,
): ModuleFiles {
  const read = (name: string) => parseJson(files.get(name), `${label}/${name}`);
  const json = read("main.tf.json") as TerraformModuleJson;
  const versions = read("versions.tf.json") as Partial<TerraformModuleJson>;
  json.terraform = { ...json.terraform, ...versions.terraform };
  const { removed } = read("removed.tf.json") as Partial<TerraformModuleJson>;
  if (removed) json.removed = removed;
  return withHashes(json, files);
}

function parseJson(bytes: Uint8Array | undefined, file: string): unknown {
  if (bytes === undefined) return {};
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new CompositionError(`${file}: not valid JSON (${(error as Error).message})`);
  }
}

function withHashes(
  json: TerraformModuleJson,
  files: ReadonlyMap<string, Uint8Array>,
): ModuleFiles {
  // A root reads the module folder's own files: the identity part is a module of its own.
  const read = new Map(
    [...files].filter(([name]) => !name.endsWith(".md") && !name.startsWith(`${IDENTITY_FOLDER}/`)),
  );
  return { json, files, sha256: hashFiles(files), terraformSha256: hashFiles(read) };
}

export function hashFiles(files: ReadonlyMap<string, Uint8Array>): string {
  const hash = createHash("sha256");
  for (const name of [...files.keys()].sort()) {
    hash.update(`${name}\0${files.get(name)!.length}\0`);
    hash.update(files.get(name)!);
  }
  return hash.digest("hex");
}
