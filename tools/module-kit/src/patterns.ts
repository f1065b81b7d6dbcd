/** An AWS region name such as `us-east-1`; for Terraform's `regex()` (RE2) and JavaScript alike. */
export const AWS_REGION_PATTERN = "^[a-z]{2}(-[a-z]+)+-[0-9]$";

/** A lower-case DNS name without a trailing dot, e.g. `pay.acme-payments.com`. */
export const DNS_NAME_PATTERN = "^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?[.])+[a-z]{2,63}$";
