/**
 * The names the regional part and the identity part share: the identity root creates the role
 * under this name, and the regional root computes its ARN from it.
 */

/** Enhanced monitoring's role; IAM is global, so the name carries the region. */
export const monitoringRoleName = (name: string, region: string) => `${name}-rdsmon-${region}`;

/** The regional part's addresses of the roles an identity part now holds (database <= 1.4.0). */
export const MOVED_TO_IDENTITY = [
  "aws_iam_role.monitoring",
  "aws_iam_role_policy_attachment.monitoring",
];
