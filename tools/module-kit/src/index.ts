export { ModuleStack } from "./module-stack.ts";
export { canonicalJson } from "./canonical-json.ts";
export {
  AWS_PROVIDER,
  REQUIRED_TERRAFORM_VERSION,
  defineModule,
  synthesizeModule,
  type ModuleArtifact,
  type ModuleDefinition,
  type ProviderRequirement,
  type TerraformModuleJson,
  type TerraformOutputJson,
  type TerraformVariableJson,
} from "./module.ts";
export { awsContext, commonVariables, nameVariable, type AwsContext } from "./common.ts";
export { assumeRolePolicy, type AssumeRolePolicyOptions } from "./iam.ts";
export { kmsKey, type KmsKeyOptions } from "./kms.ts";
export { AWS_REGION_PATTERN, DNS_NAME_PATTERN } from "./patterns.ts";
export { renderReadme } from "./readme.ts";
export { LOG_RETENTION_DAYS } from "./retention.ts";
export { ROUTE53_HEALTH_CHECK_REGIONS } from "./route53.ts";
export { variable, type VariableOptions, type VariableRule } from "./variable.ts";
