import { canonicalJson } from "@tandem/module-kit/canonical-json";
import {
  bootstrapFiles,
  bootstrapPath,
  bootstrapRoots,
  everyManifest,
  type BootstrapRoot,
} from "./compose/bootstrap.ts";
import { composeEnvironment, type Deployment, type ModuleResolver } from "./compose/deployments.ts";
import { ManifestProblems } from "./errors.ts";
import { loadEnvironments, type Environment } from "./manifest/index.ts";
import { DOMAINS, type Domain, type Manifest } from "./manifest/schema.ts";
import { readReleasedModule, type ModuleFiles } from "./modules/artifact.ts";
import { buildModules, type BuiltModules } from "./modules/build.ts";

export interface SynthesizedEnvironment {
  readonly name: string;
  readonly manifest: Manifest;
  /** Each domain's resolved release version, or "workspace". */
  readonly modules: Environment["modules"];
  readonly deployments: Deployment[];
}

export interface SynthOutput {
  /** Every file under `dist/`, by path relative to it. */
  readonly files: Map<string, Uint8Array>;
  readonly modules: Record<Domain, ModuleFiles>;
  readonly environments: SynthesizedEnvironment[];
  /** One per account, from every manifest of the tree: `bootstrap/<account>/`. */
  readonly bootstraps: BootstrapRoot[];
}

const encoder = new TextEncoder();

/**
 * Synthesizes the tree at `root`: every module from its current source, and every given
 * manifest into its deployments. Pure: returns the files, writes nothing. Any manifest problem
 * throws ManifestProblems; `label` (such as `HEAD~1:`) prefixes the file names of a tree
 * extracted from a git ref, so a problem there reads `HEAD~1:environments/prod.yaml:3:5: …`.
 */
export async function synthesizeTree(
  root: string,
  manifestFiles: string[],
  label = "",
): Promise<SynthOutput> {
  // Module sources are bundled by esbuild in its own process: started first, the bundle is
  // built while the manifests are validated here.
  const unwanted = new AbortController();
  const modules = buildModules(root, { signal: unwanted.signal });
  modules.catch(() => {}); // awaited below, or abandoned when a manifest is invalid
  // A tree from history (`label`) may predate its lock files: its roots then carry none.
  const providerLocks = label === "" ? "require" : "read";
  const { environments, problems } = loadEnvironments(manifestFiles, { root, providerLocks });
  if (problems.length > 0) unwanted.abort();
  if (problems.length > 0)
    throw new ManifestProblems(problems.map((p) => ({ ...p, file: `${label}${p.file}` })));
  return synthesizeEnvironments(
    root,
    environments,
    everyManifest(root, environments, providerLocks),
    await modules,
  );
}

/**
 * The deployments of the given manifests in the tree extracted from `ref` at `root`: their
 * problems are errors like the working tree's. Loads no module code when there is no manifest
 * (a commit may predate the modules).
 */
export async function synthesizeAtRef(
  root: string,
  ref: string,
  manifestFiles: string[],
): Promise<SynthesizedEnvironment[]> {
  if (manifestFiles.length === 0) return [];
  return (await synthesizeTree(root, manifestFiles, `${ref}:`)).environments;
}

function synthesizeEnvironments(
  root: string,
  environments: Environment[],
  accounts: Environment[],
  { modules, toolchain }: BuiltModules,
): SynthOutput {
  const resolve = moduleResolver(root, modules);

  const files = new Map<string, Uint8Array>();
  for (const domain of DOMAINS) {
    for (const [name, bytes] of modules[domain].files)
      files.set(`modules/${domain}/${name}`, bytes);
  }
  const synthesized = environments.map((environment) => {
    const deployments = composeEnvironment(environment, resolve, toolchain, accounts);
    addEnvironmentFiles(files, environment, deployments);
    const { manifest, modules } = environment;
    return { name: manifest.name, manifest, modules, deployments };
  });
  const locks = new Map(
    accounts.flatMap((e) => (e.providerLock ? [[e.manifest.name, e.providerLock] as const] : [])),
  );
  const bootstraps = bootstrapRoots(
    accounts.map((e) => e.manifest),
    toolchain,
    locks,
  );
  for (const [path, bytes] of bootstrapFiles(bootstraps)) files.set(path, bytes);
  return { files, modules, environments: synthesized, bootstraps };
}

/** Released versions come from their committed snapshot; `workspace` from the current source. */
function moduleResolver(root: string, workspace: Record<Domain, ModuleFiles>): ModuleResolver {
  const releases = new Map<string, ModuleFiles>();
  return (domain, version) => {
    if (version === "workspace")
      return { source: `../../../modules/${domain}`, files: workspace[domain] };
    const key = `${domain}@${version}`;
    if (!releases.has(key))
      releases.set(key, readReleasedModule(root, `modules/${domain}/releases/${version}`));
    return {
      source: `../../../../modules/${domain}/releases/${version}`,
      files: releases.get(key)!,
    };
  };
}

function addEnvironmentFiles(
  files: Map<string, Uint8Array>,
  environment: Environment,
  deployments: Deployment[],
) {
  const env = environment.manifest.name;
  for (const deployment of deployments) {
    files.set(
      `environments/${env}/${deployment.name}/main.tf.json`,
      encoder.encode(canonicalJson(deployment.root)),
    );
    if (deployment.providerLock !== undefined)
      files.set(
        `environments/${env}/${deployment.name}/.terraform.lock.hcl`,
        encoder.encode(deployment.providerLock),
      );
  }
  const summary = {
    environment: env,
    // The deploy action refuses a tool other than the pinned one before any init.
    toolchain: environment.manifest.toolchain,
    bootstrap: bootstrapPath(environment.manifest.account),
    deployments: deployments.map(({ name, region, role, dependsOn, modules, sha256 }) => ({
      name,
      region,
      role,
      dependsOn,
      modules,
      sha256,
    })),
  };
  files.set(`environments/${env}/deployments.json`, encoder.encode(canonicalJson(summary)));
}
