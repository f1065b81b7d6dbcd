/**
 * The names the regional part and the identity part share: the identity root creates the role
 * under this name, and the regional root computes its ARN from it.
 */

/** IAM names are account-wide and both regions need the role: the region keeps them apart. */
export const flowLogsRoleName = (name: string, region: string) => `${name}-flowlogs-${region}`;

export const flowLogGroupName = (name: string) => `/aws/vpc-flow-logs/${name}`;

/** The regional part's addresses of the roles an identity part now holds (networking <= 1.2.0). */
export const MOVED_TO_IDENTITY = ["aws_iam_role.flow_logs", "aws_iam_role_policy.flow_logs"];
