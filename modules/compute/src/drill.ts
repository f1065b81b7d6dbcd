import { TerraformOutput } from "cdktf";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter/index.js";
import type { ModuleStack } from "@tandem/module-kit";
import { drillParameterName } from "./roles.ts";
import type { ComputeInputs } from "./variables.ts";

/**
 * The drill flag: `"true"` makes `/health` answer 503, so Route 53 moves traffic to the peer
 * without any change to Route 53. The drill flips the value, so Terraform ignores it after creation.
 */
export function drillParameter(stack: ModuleStack, inputs: ComputeInputs): SsmParameter {
  const parameter = new SsmParameter(stack, "aws_ssm_parameter.drill", {
    name: drillParameterName(inputs.name),
    description:
      'Set to "true" to make this region report unhealthy (DR drill); "false" in normal operation.',
    type: "String",
    value: "false",
    lifecycle: { ignoreChanges: ["value"] },
  });
  new TerraformOutput(stack, "drill_parameter_name", {
    value: parameter.name,
    description:
      'SSM parameter the drill sets to "true" to take this region out of DNS, and back to "false".',
  });
  return parameter;
}
