/**
 * The names the regional part and the identity part share: the identity root creates each role
 * under its name and grants it the resources named here (by ARN pattern, as their ids are not
 * known there); the regional part names the resources so and computes the roles' ARNs.
 */

/** The three functions of the handler bundle, by the Terraform name of their role and logs. */
export const FUNCTIONS = {
  function: { role: "payments", functionName: "payments", attachmentPrefix: "" },
  health: { role: "health", functionName: "health", attachmentPrefix: "health_" },
  region_check: {
    role: "region-check",
    functionName: "region-check",
    attachmentPrefix: "region_check_",
  },
} as const;

export type FunctionId = keyof typeof FUNCTIONS;

/** IAM is global: the region keeps the two regions' roles apart (64 characters at most). */
export const functionRoleName = (name: string, id: FunctionId, region: string) =>
  `${name}-${FUNCTIONS[id].role}-${region}`;
export const functionName = (name: string, id: FunctionId) =>
  `${name}-${FUNCTIONS[id].functionName}`;
export const eventsRoleName = (name: string, region: string) => `${name}-events-${region}`;

export const deadLetterQueueName = (name: string) => `${name}-dead-letter`;
export const drillParameterName = (name: string) => `/${name}/drill/unhealthy`;
/** The alias of the module's own key (environment, logs, queue, bus). */
export const moduleKeyAlias = (name: string) => `${name}-compute`;

/** AWS managed policies each function's role carries: no resource-level permissions exist for these jobs. */
export const MANAGED_POLICIES = {
  network_interfaces: "service-role/AWSLambdaENIManagementAccess",
  xray: "AWSXRayDaemonWriteAccess",
};

/** The regional part's addresses of the roles an identity part now holds (compute <= 2.2.0). */
export const MOVED_TO_IDENTITY = [
  ...Object.entries(FUNCTIONS).flatMap(([id, spec]) => [
    `aws_iam_role.${id}`,
    `aws_iam_role_policy.${id}`,
    ...Object.keys(MANAGED_POLICIES).map(
      (policy) => `aws_iam_role_policy_attachment.${spec.attachmentPrefix}${policy}`,
    ),
  ]),
  "aws_iam_role.events",
  "aws_iam_role_policy.events",
];
