import { TerraformOutput, TerraformVariable } from "cdktf";
import { Vpc } from "@cdktf/provider-aws/lib/vpc/index.js";
import { describe, expect, it } from "vitest";
import {
  AWS_PROVIDER,
  canonicalJson,
  commonVariables,
  defineModule,
  kmsKey,
  renderReadme,
  synthesizeModule,
} from "../src/index.ts";

const sample = defineModule({
  domain: "sample",
  description: "A sample module.",
  example: 'module "sample" {\n  source = "./sample"\n}',
  build(stack) {
    const { name } = commonVariables(stack);
    const cidr = new TerraformVariable(stack, "cidr_block", {
      type: "string",
      description: "The VPC CIDR.",
    });
    const optional = new TerraformVariable(stack, "az_count", {
      type: "number",
      default: 3,
      description: "AZs | count",
    });
    const vpc = new Vpc(stack, "aws_vpc.this", {
      cidrBlock: cidr.stringValue,
      tags: { Name: name, Count: optional.stringValue },
    });
    kmsKey(stack, {
      description: "logs",
      alias: `${name}-logs`,
      servicePrincipals: ["logs", "sns"],
    });
    kmsKey(stack, { id: "data", description: "data", alias: `${name}-data` });
    stack.addOverride("ephemeral.random_password.token", { length: 32 });
    new TerraformOutput(stack, "vpc_id", { value: vpc.id, description: "The VPC id." });
  },
});

describe("synthesizeModule", () => {
  const { json } = synthesizeModule(sample);

  it("uses readable addresses, with the full address form allowed for shared names", () => {
    expect(Object.keys(json.resource?.aws_vpc ?? {})).toEqual(["this"]);
    expect(Object.keys(json.resource?.aws_kms_key ?? {}).sort()).toEqual(["data", "this"]);
    expect(json.output?.vpc_id?.value).toBe("${aws_vpc.this.id}");
    expect(Object.keys(json.data?.aws_region ?? {})).toEqual(["current"]);
  });

  it("emits a standalone module: required providers, no provider or backend, no CDKTF metadata", () => {
    expect(json.terraform.required_providers.aws).toEqual(AWS_PROVIDER);
    expect(AWS_PROVIDER.version).toMatch(/^>= 5\.100\.0, < 7\.0\.0$/);
    expect(json).not.toHaveProperty("provider");
    expect(json.terraform).not.toHaveProperty("backend");
    expect(JSON.stringify(json)).not.toContain('"//"');
  });

  it("turns on key rotation and lets only the listed services use a key", () => {
    const keys = json.resource?.aws_kms_key as Record<string, Record<string, unknown>>;
    expect(keys.this?.enable_key_rotation).toBe(true);
    const policy = String(keys.this?.policy);
    expect(policy).toContain("logs.${data.aws_region.current.id}");
    expect(policy).toContain("sns.${data.aws_partition.current.dns_suffix}");
    // Logs gets the condition AWS documents for encrypted log groups; others the source account.
    expect(policy).toContain("kms:EncryptionContext:aws:logs:arn");
    expect(policy).toContain(":log-group:*");
    expect(policy).toContain("aws:SourceAccount");
    expect(String(keys.data?.policy)).not.toContain("Service");
  });

  it("is deterministic", () => {
    expect(canonicalJson(synthesizeModule(sample).json)).toBe(canonicalJson(json));
  });
});

describe("renderReadme", () => {
  const readme = renderReadme(sample, synthesizeModule(sample));

  it("lists required inputs first, with defaults and escaped pipes", () => {
    const rows = readme.split("\n").filter((l) => l.startsWith("| `"));
    expect(rows[0]).toContain("`cidr_block`");
    expect(readme).toContain("| `az_count` | AZs \\| count | `number` | `3` | no |");
    expect(readme).toContain("| `vpc_id` | The VPC id. |");
    expect(readme).toContain("- `aws_vpc.this`");
    expect(readme).toContain("- `ephemeral.random_password.token`");
  });
});

describe("canonicalJson", () => {
  it("sorts keys at every level and keeps array order", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } }, 0)).toBe(
      '{"a":{"c":null,"d":[2,1]},"b":1}\n',
    );
  });
});
