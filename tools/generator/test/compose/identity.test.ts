import { describe, expect, it } from "vitest";
import type { TerraformModuleJson } from "@tandem/module-kit";
import {
  composeEnvironment,
  type Deployment,
  type ModuleResolver,
} from "../../src/compose/deployments.ts";
import { identityPart, parseModuleFiles, readReleasedModule } from "../../src/modules/artifact.ts";
import type { Domain } from "../../src/manifest/schema.ts";
import { contractResolver, exampleEnvironment, REPO, TOOLCHAIN } from "../helpers.ts";

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** An identity part as a module version ships it in `identity/`: one role per region. */
const identityJson: TerraformModuleJson = {
  terraform: {
    required_version: ">= 1.11.0",
    required_providers: { aws: { source: "hashicorp/aws", version: ">= 5.100.0, < 7.0.0" } },
  },
  variable: {
    name: { type: "string" },
    regions: { type: "list(string)" },
    permissions_boundary: { type: "string", default: null },
  },
  resource: { aws_iam_role: { this: { for_each: "${local.names}", name: "${each.value}" } } },
  output: { import_ids: { value: { "aws_iam_role.this": "${local.names}" } } },
};

/** Networking and backup versions with an identity part; the others from before it. */
const withIdentity = new Set<Domain>(["networking", "backup"]);
const resolverWith =
  (parts: Set<Domain>): ModuleResolver =>
  (domain, version) => {
    const plain = contractResolver(domain, version);
    const files = new Map(plain.files.files);
    if (parts.has(domain)) files.set("identity/main.tf.json", encode(identityJson));
    return { ...plain, files: parseModuleFiles(files, domain) };
  };
const resolver = resolverWith(withIdentity);

type Root = Record<string, unknown> & {
  terraform: { backend: { s3: Record<string, unknown> } };
  provider: { aws: Record<string, unknown>[] };
  module: Record<string, Record<string, unknown>>;
  import?: { for_each: string; to: string; id: string }[];
  data?: Record<string, unknown>;
};
const rootOf = (d: Deployment) => d.root as Root;

describe("the identity root", () => {
  const staging = exampleEnvironment("staging");
  const roots = composeEnvironment(staging, resolver, TOOLCHAIN);
  const identity = roots[0]!;

  it("comes first, from us-east-1, and the primary root is applied after it", () => {
    expect(roots.map((d) => [d.name, d.role, d.dependsOn])).toEqual([
      ["identity", "identity", []],
      ["us-east-1", "primary", ["identity"]],
      ["us-west-2", "secondary", ["us-east-1"]],
      ["global", "global", ["us-east-1", "us-west-2"]],
    ]);
    expect(rootOf(identity).provider.aws.map((p) => p.region)).toEqual(["us-east-1"]);
    expect(rootOf(identity).terraform.backend.s3).toMatchObject({
      key: "staging/identity.tfstate",
      region: "us-east-1",
      bucket: "tandem-tfstate-123456789012-us-east-1",
    });
  });

  it("calls the identity part of each pinned version that has one, for both regions, inside the apply role's boundary", () => {
    const { module } = rootOf(identity);
    expect(Object.keys(module).sort()).toEqual(["backup", "networking"]);
    expect(module.networking).toEqual({
      source: "../../../../modules/networking/releases/1.0.0/identity",
      name: "payments-staging",
      regions: ["us-east-1", "us-west-2"],
      permissions_boundary: "arn:aws:iam::123456789012:policy/tandem-staging-apply-boundary",
    });
    expect(identity.modules).toEqual({ networking: "1.0.0", backup: "1.0.0" });
  });

  it("imports each role that exists already (an earlier version's regional root created it), and creates the others", () => {
    const root = rootOf(identity);
    expect(root.data).toEqual({ aws_iam_roles: { existing: {} } });
    expect(root.import).toEqual(
      ["networking", "backup"].map((domain) => ({
        for_each: `\${{ for region, id in module.${domain}.import_ids["aws_iam_role.this"] : region => id if contains(data.aws_iam_roles.existing.names, regex("^[^:/]+", id)) }}`,
        to: `module.${domain}.aws_iam_role.this[each.key]`,
        id: "${each.value}",
      })),
    );
  });

  it("hashes the identity part into the identity root only: the regional roots read the module folder alone", () => {
    const plain = composeEnvironment(staging, resolverWith(new Set()), TOOLCHAIN);
    const byName = (list: Deployment[]) => Object.fromEntries(list.map((d) => [d.name, d.sha256]));
    const [without, withPart] = [byName(plain), byName(roots)];
    expect(withPart["us-west-2"]).toBe(without["us-west-2"]);
    expect(withPart.global).toBe(without.global);
    expect(withPart["us-east-1"]).toBe(without["us-east-1"]);
  });

  it("is absent where no pinned version has an identity part (prod before it adopts them)", () => {
    const prod = composeEnvironment(exampleEnvironment("prod"), contractResolver, TOOLCHAIN);
    expect(prod.map((d) => d.name)).toEqual(["us-east-1", "us-west-2", "global"]);
    expect(prod[0]!.dependsOn).toEqual([]);
  });
});

describe("a released module with an identity part", () => {
  const release = "modules/networking/releases/2.0.0";
  const module = readReleasedModule(REPO, release);

  it("reads identity/ as a module of its own and the removed blocks from removed.tf.json", () => {
    expect([...module.files.keys()].sort()).toEqual([
      "README.md",
      "identity/README.md",
      "identity/main.tf.json",
      "identity/versions.tf.json",
      "main.tf.json",
      "removed.tf.json",
      "versions.tf.json",
    ]);
    expect(module.json.removed?.map((r) => r.from)).toEqual([
      "aws_iam_role.flow_logs",
      "aws_iam_role_policy.flow_logs",
    ]);
    const part = identityPart(module, release)!;
    expect(Object.keys(part.json.resource ?? {}).sort()).toEqual([
      "aws_iam_role",
      "aws_iam_role_policy",
    ]);
    expect(part.json.terraform.required_version).toBe(">= 1.11.0");
  });

  it("keeps the regional part's hash free of identity/: changing a role changes the identity root alone", () => {
    const files = new Map(module.files);
    files.set("identity/main.tf.json", encode({ ...identityJson, locals: { changed: true } }));
    const changed = parseModuleFiles(files, release);
    expect(changed.terraformSha256).toBe(module.terraformSha256);
    expect(identityPart(changed, release)!.terraformSha256).not.toBe(
      identityPart(module, release)!.terraformSha256,
    );
  });
});
