import { createHash } from "node:crypto";
import { canonicalJson } from "@tandem/module-kit/canonical-json";
import semver from "semver";
import { CompositionError } from "../errors.ts";
import type { Environment } from "../manifest/index.ts";
import type { Domain } from "../manifest/schema.ts";
import type { ModuleFiles } from "../modules/artifact.ts";
import {
  REGIONAL_OUTPUTS_FOR_GLOBAL,
  globalInputs,
  regionalInputs,
  type ModuleInputs,
  type Role,
} from "./inputs.ts";
import type { Toolchain } from "../toolchain.ts";
import { identityBlocks, identityInputs, IDENTITY_ROOT, resolveIdentity } from "./identity.ts";
import { crossRegionNames, STATE_KEY_ALIAS, type CrossRegionNames } from "./names.ts";
import { accountEnvironment, quotaChecks, type AccountEnvironment } from "./quotas.ts";

/** Route 53's control plane and its health-check metrics live in us-east-1. */
export const GLOBAL_REGION = "us-east-1";

export interface Deployment {
  readonly name: string;
  readonly region: string;
  readonly role: RootRole;
  readonly dependsOn: string[];
  /** Module version per domain used by this root: an exact version or `workspace`. */
  readonly modules: Partial<Record<Domain, string>>;
  readonly root: Record<string, unknown>;
  /** The module each call resolves to (source and files), by domain. */
  readonly resolved: Partial<Record<Domain, ResolvedModule>>;
  /** The committed provider lock written beside the root (`.terraform.lock.hcl`), when loaded. */
  readonly providerLock?: string;
  /**
   * sha256 of the canonical root JSON with every file Terraform reads of the modules it calls,
   * and of its provider lock.
   */
  readonly sha256: string;
}

export interface ResolvedModule {
  /** Module source relative to the root's folder (`dist/environments/<env>/<deployment>/`). */
  readonly source: string;
  readonly files: ModuleFiles;
}

export type ModuleResolver = (domain: Domain, version: string) => ResolvedModule;

export type RootRole = Role | "global" | "identity";

/**
 * Composes an environment into its three roots, in apply order: primary, secondary, global.
 * `account` holds the environments sharing its account, whose needs its quota checks add up.
 */
export function composeEnvironment(
  environment: Environment,
  resolve: ModuleResolver,
  toolchain: Toolchain,
  account: readonly Environment[] = [environment],
): Deployment[] {
  const { manifest } = environment;
  const names = crossRegionNames(manifest);
  const { primary, secondary } = manifest.regions;
  const asAccount = (e: Environment) =>
    accountEnvironment(e, resolve("compute", e.modules.compute).files.json);
  const quotas = { self: asAccount(environment), account: account.map(asAccount) };
  const build = (spec: RootSpec) =>
    deployment(environment, names, resolve, toolchain, { ...spec, quotas });
  const identity = identityRoot(environment, names, resolve);
  const regional = {
    primary: build({
      name: primary,
      region: primary,
      role: "primary",
      dependsOn: identity ? [IDENTITY_ROOT] : [],
      calls: regionalInputs(manifest, names, "primary"),
    }),
    secondary: build({
      name: secondary,
      region: secondary,
      role: "secondary",
      dependsOn: [primary],
      calls: regionalInputs(manifest, names, "secondary"),
    }),
  };
  const global = build({
    name: "global",
    region: GLOBAL_REGION,
    role: "global",
    dependsOn: [primary, secondary],
    calls: globalInputs(manifest, names),
  });
  checkRemoteOutputs(global, regional);
  const roots = [regional.primary, regional.secondary, global];
  return identity ? [build(identity), ...roots] : roots;
}

/**
 * The identity root (IAM, from us-east-1, applied first), calling the identity part of each
 * pinned module version that has one; none when no pinned version has one.
 */
function identityRoot(
  environment: Environment,
  names: CrossRegionNames,
  resolve: ModuleResolver,
): RootSpec | undefined {
  const inputs = identityInputs(environment.manifest, names);
  const parts = Object.fromEntries(
    (Object.keys(inputs) as Domain[]).flatMap((d) => {
      const part = resolveIdentity(d, environment.modules[d], resolve);
      return part ? [[d, part]] : [];
    }),
  ) as Partial<Record<Domain, ResolvedModule>>;
  const domains = Object.keys(parts) as Domain[];
  if (domains.length === 0) return undefined;
  return {
    name: IDENTITY_ROOT,
    region: GLOBAL_REGION,
    role: "identity",
    dependsOn: [],
    calls: Object.fromEntries(domains.map((d) => [d, inputs[d]!])),
    resolve: (d) => parts[d]!,
    blocks: identityBlocks(parts),
  };
}

/**
 * A regional root outputs only what its module versions declare; the global root must not read
 * an output that is missing there (outside `try()`), or its plan would fail after both regions
 * applied.
 */
function checkRemoteOutputs(global: Deployment, regional: Record<Role, Deployment>): void {
  const text = JSON.stringify(global.root.module).replace(/try\([^()]*\)/g, "");
  for (const [, role, output] of text.matchAll(
    /data\.terraform_remote_state\.(primary|secondary)\.outputs\.(\w+)/g,
  )) {
    const root = regional[role as Role];
    if (output! in ((root.root.output as object | undefined) ?? {})) continue;
    const domain = Object.entries(REGIONAL_OUTPUTS_FOR_GLOBAL).find(([, outputs]) =>
      (outputs as readonly string[]).includes(output!),
    )?.[0] as Domain | undefined;
    const missing = domain ? `${domain}@${root.modules[domain]} does not` : "no module there does";
    throw new CompositionError(
      `the global root reads output ${output} of the ${root.name} root, but ${missing} declare it`,
    );
  }
}

interface RootSpec {
  name: string;
  region: string;
  role: RootRole;
  dependsOn: string[];
  calls: Record<string, ModuleInputs>;
  /** Where the calls' modules come from, when not the environment's resolver (identity parts). */
  resolve?: ModuleResolver;
  /** Blocks added to the root as they are (the identity root's imports). */
  blocks?: Record<string, unknown>;
  /** The environment and those sharing its account, whose needs its quota checks add up. */
  quotas?: { self: AccountEnvironment; account: readonly AccountEnvironment[] };
}

function deployment(
  environment: Environment,
  names: CrossRegionNames,
  resolve: ModuleResolver,
  toolchain: Toolchain,
  spec: RootSpec,
): Deployment {
  const { manifest } = environment;
  const domains = Object.keys(spec.calls) as Domain[];
  const versions = Object.fromEntries(domains.map((d) => [d, environment.modules[d]]));
  const resolved = Object.fromEntries(
    domains.map((d) => [d, (spec.resolve ?? resolve)(d, environment.modules[d])]),
  ) as Record<Domain, ResolvedModule>;
  // The global and identity roots keep their state with the primary region's; a regional root
  // with its own region.
  const regional = spec.role === "primary" || spec.role === "secondary";
  const stateRegion = regional ? spec.region : manifest.regions.primary;
  const awsProvider = pinnedProvider(
    manifest,
    toolchain,
    Object.fromEntries(domains.map((d) => [`${d}@${versions[d]}`, resolved[d]])),
  );
  const root: Record<string, unknown> = {
    terraform: {
      // A range both tools satisfy; the exact pin of the tool that runs is enforced by the
      // deploy action and installed by the setup action.
      required_version: toolchain.requiredVersion,
      required_providers: { aws: awsProvider },
      backend: {
        s3: {
          bucket: names.stateBucket(stateRegion),
          key: names.stateKey(spec.name),
          region: stateRegion,
          encrypt: true,
          // The bootstrap's state key: without it `encrypt` asks S3 for SSE-S3 on every write,
          // overriding the bucket's SSE-KMS default.
          kms_key_id: `arn:aws:kms:${stateRegion}:${manifest.account}:${STATE_KEY_ALIAS}`,
          use_lockfile: true,
        },
      },
    },
    provider: {
      aws: [
        {
          region: spec.region,
          allowed_account_ids: [manifest.account],
          default_tags: { tags: defaultTags(environment, spec.name, versions) },
        },
      ],
    },
    module: Object.fromEntries(
      domains.map((d) => [d, moduleCall(d, versions[d]!, spec.calls[d]!, resolved)]),
    ),
  };
  if (spec.role === "global") root.data = { terraform_remote_state: remoteStates(manifest, names) };
  if (regional) root.output = regionalOutputs(resolved);
  Object.assign(root, spec.blocks);
  if ((spec.role === "primary" || spec.role === "secondary") && spec.quotas)
    root.data = quotaChecks(spec.quotas.self, spec.region, spec.quotas.account);
  const moduleHashes = Object.fromEntries(
    domains.map((d) => [d, resolved[d].files.terraformSha256]),
  );
  const { providerLock } = environment;
  const sha256 = createHash("sha256")
    .update(canonicalJson({ root, modules: moduleHashes, providerLock: providerLock ?? null }, 0))
    .digest("hex");
  const { name, region, role, dependsOn } = spec;
  const deployment = { name, region, role, dependsOn, modules: versions, root, resolved, sha256 };
  return providerLock === undefined ? deployment : { ...deployment, providerLock };
}

/**
 * `hashicorp/aws` at exactly the manifest's `toolchain.aws`, which must lie within the range of
 * the kit and of each module version the root calls (`who` names each, such as `dns@1.2.0`).
 */
export function pinnedProvider(
  manifest: Environment["manifest"],
  toolchain: Toolchain,
  modules: Record<string, ResolvedModule> = {},
): { source: string; version: string } {
  const pinned = manifest.toolchain.aws;
  const ranges: [string, string | undefined][] = [
    ["the module kit", toolchain.awsProvider.version],
    ...Object.entries(modules).map(([who, module]): [string, string | undefined] => [
      who,
      module.files.json.terraform.required_providers.aws?.version,
    ]),
  ];
  for (const [who, range] of ranges) {
    if (range !== undefined && !semver.satisfies(pinned, range.replaceAll(",", " ")))
      throw new CompositionError(
        `${manifest.name}: toolchain.aws ${pinned} is outside the hashicorp/aws range ${who} accepts (${range})`,
      );
  }
  return { source: toolchain.awsProvider.source, version: pinned };
}

/** Passes the inputs the pinned version declares; fails on required inputs or outputs it lacks. */
function moduleCall(
  domain: Domain,
  version: string,
  inputs: ModuleInputs,
  resolved: Record<Domain, ResolvedModule>,
): Record<string, unknown> {
  const declared = resolved[domain].files.json.variable ?? {};
  const missing = Object.entries(declared)
    .filter(([name, variable]) => variable.default === undefined && !(name in inputs))
    .map(([name]) => name);
  if (missing.length > 0) {
    throw new CompositionError(
      `${domain}@${version} requires ${missing.join(", ")}, which no manifest value provides`,
    );
  }
  const passed = Object.entries(inputs).filter(([name]) => name in declared);
  for (const [, value] of passed) checkReferences(domain, JSON.stringify(value), resolved);
  return { source: resolved[domain].source, ...Object.fromEntries(passed) };
}

function checkReferences(
  domain: Domain,
  text: string,
  resolved: Record<Domain, ResolvedModule>,
): void {
  for (const [, from, output] of text.matchAll(/module\.(\w+)\.(\w+)/g)) {
    const outputs = resolved[from as Domain]?.files.json.output ?? {};
    if (!(output! in outputs)) {
      throw new CompositionError(
        `${domain} needs output ${output} of ${from}, which its pinned version does not declare`,
      );
    }
  }
}

function regionalOutputs(resolved: Record<Domain, ResolvedModule>): Record<string, unknown> {
  const entries = Object.entries(REGIONAL_OUTPUTS_FOR_GLOBAL).flatMap(([domain, outputs]) =>
    outputs
      .filter((output) => output in (resolved[domain as Domain].files.json.output ?? {}))
      .map((output) => [output, { value: `\${module.${domain}.${output}}` }]),
  );
  return Object.fromEntries(entries);
}

/** The global root reads the regional roots' outputs from their S3 state (read-only). */
function remoteStates(
  manifest: Environment["manifest"],
  names: CrossRegionNames,
): Record<string, unknown> {
  const state = (role: Role) => {
    const region = manifest.regions[role];
    return {
      backend: "s3",
      config: { bucket: names.stateBucket(region), key: names.stateKey(region), region },
    };
  };
  return { primary: state("primary"), secondary: state("secondary") };
}

function defaultTags(
  environment: Environment,
  deployment: string,
  versions: Record<string, string | undefined>,
) {
  const modules = Object.entries(versions)
    .map(([domain, version]) => `${domain}@${version}`)
    .join(" ");
  return {
    ...environment.manifest.tags,
    Environment: environment.manifest.name,
    ManagedBy: "tandem",
    TandemDeployment: `${environment.manifest.name}/${deployment}`,
    TandemModules: modules,
  };
}
