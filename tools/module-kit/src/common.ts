import type { TerraformVariable } from "cdktf";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity/index.js";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition/index.js";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region/index.js";
import type { ModuleStack } from "./module-stack.ts";
import { variable } from "./variable.ts";

/** The name prefix every module takes, root modules without a `role` included. */
export function nameVariable(stack: ModuleStack): TerraformVariable {
  return variable(stack, "name", {
    type: "string",
    description: "Prefix for every resource name, e.g. `payments-prod`.",
    rules: [
      [
        'can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.name))',
        "name must be 3-40 characters of lower-case letters, digits and hyphens.",
      ],
    ],
  });
}

/** The two variables every regional module takes: a name prefix and the region's role. */
export function commonVariables(stack: ModuleStack): { name: string; role: string } {
  const name = nameVariable(stack);
  const role = variable(stack, "role", {
    type: "string",
    description: "This region's role in the pair: `primary` or `secondary`.",
    rules: [['contains(["primary", "secondary"], var.role)', "role must be primary or secondary."]],
  });
  return { name: name.stringValue, role: role.stringValue };
}

/** The account and partition, without the region (an identity part serves both regions). */
export interface AccountContext {
  accountId: string;
  partition: string;
  dnsSuffix: string;
}

/** The account, region and partition the module is applied in, read once per stack. */
export interface AwsContext extends AccountContext {
  region: string;
}

const once = <T>(stack: ModuleStack, id: string, create: () => T): T =>
  (stack.node.tryFindChild(id) as T | undefined) ?? create();

export function accountContext(stack: ModuleStack): AccountContext {
  const caller = once(
    stack,
    "data.aws_caller_identity.current",
    () => new DataAwsCallerIdentity(stack, "data.aws_caller_identity.current"),
  );
  const partition = once(
    stack,
    "data.aws_partition.current",
    () => new DataAwsPartition(stack, "data.aws_partition.current"),
  );
  return {
    accountId: caller.accountId,
    partition: partition.partition,
    dnsSuffix: partition.dnsSuffix,
  };
}

export function awsContext(stack: ModuleStack): AwsContext {
  const account = accountContext(stack);
  const region = once(
    stack,
    "data.aws_region.current",
    () => new DataAwsRegion(stack, "data.aws_region.current"),
  );
  // `id` is the region's name in provider 5.x and 6.x alike (`region` exists only in 6.x,
  // `name` is deprecated there).
  return { ...account, region: region.id };
}
