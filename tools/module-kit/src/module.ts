import { createRequire } from "node:module";
import { importIdsOutput } from "./identity.ts";
import { ModuleStack } from "./module-stack.ts";

/** The JSON form of a Terraform module, as written to `main.tf.json`. */
export interface TerraformModuleJson {
  terraform: { required_version: string; required_providers: Record<string, ProviderRequirement> };
  variable?: Record<string, TerraformVariableJson>;
  locals?: Record<string, unknown>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  /** Ephemeral resources (Terraform 1.10+): opened during plan and apply, never stored in state. */
  ephemeral?: Record<string, Record<string, Record<string, unknown>>>;
  output?: Record<string, TerraformOutputJson>;
  /** Resources the module no longer manages, forgotten from state without being destroyed. */
  removed?: { from: string; lifecycle: { destroy: false } }[];
}

export interface ProviderRequirement {
  source: string;
  version: string;
}

export interface TerraformVariableJson {
  type?: string;
  description?: string;
  default?: unknown;
  nullable?: boolean;
  sensitive?: boolean;
  validation?: { condition: string; error_message: string }[];
}

export interface TerraformOutputJson {
  value: unknown;
  description?: string;
  sensitive?: boolean;
}

/** What a domain package exports: how to build its module, and what ships beside the JSON. */
export interface ModuleDefinition {
  /** The domain name, which is also the Nx project and the folder under `modules/`. */
  readonly domain: string;
  /** One paragraph for the generated README. */
  readonly description: string;
  /** A usage example (HCL) for the generated README. */
  readonly example: string;
  /** Declares the module's variables, resources and outputs in the stack. */
  build(stack: ModuleStack): void;
  /**
   * Extra files shipped inside the module folder (for example a Lambda bundle), by file name.
   * `moduleDir` is the domain's source folder (`modules/<domain>`) in the tree being synthesized.
   */
  assets?(moduleDir: string): Record<string, Uint8Array>;
  /**
   * The module's IAM, a module of its own shipped in `identity/` and called by the environment's
   * identity root for both regions (see identity.ts).
   */
  readonly identity?: IdentityDefinition;
  /**
   * Addresses an earlier version managed and this one no longer does (its roles moved to the
   * identity part): a plan forgets them from the regional state and destroys nothing.
   */
  readonly removed?: readonly string[];
}

export interface IdentityDefinition {
  readonly description: string;
  readonly example: string;
  build(stack: ModuleStack): void;
}

/** A synthesized module: `main.tf.json` plus its assets, by file name. */
export interface ModuleArtifact {
  readonly domain: string;
  readonly json: TerraformModuleJson;
  readonly assets: Record<string, Uint8Array>;
  /** The identity part's module JSON, when the module has one. */
  readonly identity?: TerraformModuleJson;
}

/**
 * The provider versions the modules are tested with: 5.100 (planned and applied in the sandbox)
 * up to the major version the bindings were generated for.
 */
const bindingsMajor = Number(
  (
    createRequire(import.meta.url)("@cdktf/provider-aws/package.json").cdktf.provider
      .version as string
  ).split(".")[0],
);
export const OLDEST_TESTED_AWS_PROVIDER = "5.100.0";

export const AWS_PROVIDER: ProviderRequirement = {
  source: "hashicorp/aws",
  version: `>= ${OLDEST_TESTED_AWS_PROVIDER}, < ${bindingsMajor + 1}.0.0`,
};

/** Terraform 1.11 / OpenTofu 1.10 are the first with S3-native state locking. */
export const REQUIRED_TERRAFORM_VERSION = ">= 1.11.0";

export function defineModule(definition: ModuleDefinition): ModuleDefinition {
  return definition;
}

/** Builds the module in a fresh stack and returns standalone module JSON: no provider, no backend. */
export function synthesizeModule(
  definition: ModuleDefinition,
  moduleDir = `modules/${definition.domain}`,
): ModuleArtifact {
  const json = moduleJson(definition.domain, definition.build);
  if (definition.removed?.length) {
    json.removed = definition.removed.map((from) => ({ from, lifecycle: { destroy: false } }));
  }
  const assets = definition.assets?.(moduleDir) ?? {};
  const { identity } = definition;
  if (!identity) return { domain: definition.domain, json, assets };
  const identityJson = moduleJson(`${definition.domain}-identity`, (stack) => {
    identity.build(stack);
    importIdsOutput(stack);
  });
  return { domain: definition.domain, json, assets, identity: identityJson };
}

function moduleJson(name: string, build: (stack: ModuleStack) => void): TerraformModuleJson {
  const stack = new ModuleStack(name);
  build(stack);
  const raw = stripMetadata(stack.toTerraform()) as Omit<TerraformModuleJson, "terraform">;
  const { provider: _provider, terraform: _terraform, ...blocks } = raw as Record<string, unknown>;
  return {
    ...blocks,
    terraform: {
      required_version: REQUIRED_TERRAFORM_VERSION,
      required_providers: { aws: AWS_PROVIDER },
    },
  } as TerraformModuleJson;
}

/** Drops CDKTF's `//` metadata (construct paths, versions) so the JSON is plain Terraform. */
function stripMetadata(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripMetadata);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== "//")
        .map(([key, inner]) => [key, stripMetadata(inner)]),
    );
  }
  return value;
}
