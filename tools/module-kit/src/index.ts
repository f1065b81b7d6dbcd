export { ModuleStack } from "./module-stack.ts";
export { canonicalJson } from "./canonical-json.ts";
export {
  AWS_PROVIDER,
  REQUIRED_TERRAFORM_VERSION,
  defineModule,
  synthesizeModule,
  type IdentityDefinition,
  type ModuleArtifact,
  type ModuleDefinition,
  type ProviderRequirement,
  type TerraformModuleJson,
  type TerraformOutputJson,
  type TerraformVariableJson,
} from "./module.ts";
export {
  accountContext,
  awsContext,
  commonVariables,
  nameVariable,
  type AccountContext,
  type AwsContext,
} from "./common.ts";
export {
  assumeRolePolicy,
  moduleRole,
  permissionsBoundaryVariable,
  PERMISSIONS_BOUNDARY,
  type AssumeRolePolicyOptions,
} from "./iam.ts";
export {
  identityDocument,
  identityPolicyAttachment,
  identityRole,
  identityRolePolicy,
  identityVariables,
  roleArn,
  type IdentityRole,
  type IdentityRoleOptions,
} from "./identity.ts";
export { IMPORT_IDS_OUTPUT } from "./identity-names.ts";
export { kmsKey, type KmsKeyOptions } from "./kms.ts";
export { AWS_REGION_PATTERN, DNS_NAME_PATTERN } from "./patterns.ts";
export { renderReadme } from "./readme.ts";
export { LOG_RETENTION_DAYS } from "./retention.ts";
export {
  AURORA_BACKUP_RETENTION_DAYS,
  AURORA_ENGINE_VERSION_PATTERN,
  AURORA_INSTANCE_CLASS_PATTERN,
  AURORA_INSTANCES,
  AZ_COUNT,
  BACKUP_RETENTION_DAYS,
  HEALTH_CACHE_SECONDS,
  HOSTED_ZONE_ID_PATTERN,
  JWT_ISSUER_PATTERN,
  LAMBDA_MEMORY_MB,
  LAMBDA_TIMEOUT_SECONDS,
  RESERVED_CONCURRENCY,
  VAULT_LOCK_MIN_CHANGEABLE_DAYS,
  VPC_PREFIX,
  wholeNumberIn,
  type Range,
} from "./limits.ts";
export {
  ALIAS_ANSWER_TTL_SECONDS,
  HEALTH_CHECK_FAILURE_THRESHOLD,
  HEALTH_CHECK_INTERVALS,
  HEALTH_CHECK_RESPONSE_SECONDS,
  MIN_HEALTH_CHECK_REGIONS,
  ROUTE53_HEALTH_CHECK_REGIONS,
} from "./route53.ts";
export { variable, type VariableOptions, type VariableRule } from "./variable.ts";
