/**
 * The Terraform override file the sandbox writes beside a synthesized root
 * (`tandem_sandbox_override.tf.json`): every AWS API the root calls goes to the emulator, with
 * test credentials and bounded retries. Override files merge into the root by Terraform's own
 * rules, so the root itself stays byte-identical to what production plans.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const OVERRIDE_FILE = "tandem_sandbox_override.tf.json";

/**
 * A root's folder copied beside it with the override rewritten, so one command can send the
 * root's calls elsewhere (a gateway, a role's session) while the sandbox's own tree stays as it is.
 */
export function copyRootWithOverride(
  dir: string,
  copy: string,
  rewrite: (override: string) => string,
): void {
  rmSync(copy, { recursive: true, force: true });
  mkdirSync(copy);
  for (const file of ["main.tf.json", ".terraform.lock.hcl"]) {
    if (existsSync(join(dir, file))) copyFileSync(join(dir, file), join(copy, file));
  }
  const override = readFileSync(join(dir, OVERRIDE_FILE), "utf8");
  writeFileSync(join(copy, OVERRIDE_FILE), rewrite(override));
}

/** The AWS services the roots call, as the provider names its `endpoints` arguments. */
export const SERVICES = [
  "acm",
  "apigatewayv2",
  "backup",
  "cloudwatch",
  "dynamodb",
  "ec2",
  "events",
  "iam",
  "kms",
  "lambda",
  "logs",
  "rds",
  "route53",
  "s3",
  "secretsmanager",
  "servicequotas",
  "sns",
  "sqs",
  "ssm",
  "sts",
] as const;

/** Which service a resource or data source type talks to (none for purely local ones). */
const SERVICE_OF_TYPE: [RegExp, (typeof SERVICES)[number] | undefined][] = [
  [/^aws_(region|partition|iam_policy_document)$/, undefined],
  [/^aws_caller_identity$/, "sts"],
  [/^aws_cloudwatch_event_/, "events"],
  [/^aws_cloudwatch_log_/, "logs"],
  [/^aws_cloudwatch_/, "cloudwatch"],
  [/^aws_(db|rds)_/, "rds"],
  [
    /^aws_(vpc|subnet|route|route_table|internet_gateway|nat_gateway|eip|security_group|default_security_group|flow_log|availability_zones)(_|$)/,
    "ec2",
  ],
  [/^aws_route53_/, "route53"],
  [/^aws_s3_/, "s3"],
  [
    /^aws_(acm|apigatewayv2|backup|dynamodb|iam|kms|lambda|secretsmanager|servicequotas|sns|sqs|ssm)_/,
    undefined,
  ],
];

/** The service a type calls, or undefined for a local one; throws for a type it does not know. */
export function serviceOf(type: string): string | undefined {
  for (const [pattern, service] of SERVICE_OF_TYPE) {
    if (!pattern.test(type)) continue;
    return service ?? /^aws_([a-z0-9]+)_/.exec(type)?.[1];
  }
  throw new Error(`no AWS service known for ${type}`);
}

const CREDENTIALS = { access_key: "test", secret_key: "test" };

/** How an override reaches the emulator, when not as the sandbox's own tree does. */
export interface OverrideOptions {
  /**
   * `environment`: no keys in the override, so the process's AWS_* variables decide, as a
   * workflow job's configured role does; `test` (the default): the admin test credentials.
   */
  readonly credentials?: "test" | "environment";
  /** The S3 backend's `workspace_key_prefix` (its default is `env:`). */
  readonly workspaceKeyPrefix?: string;
}

const credentialsOf = (options: OverrideOptions) =>
  options.credentials === "environment" ? {} : CREDENTIALS;

/** Bounded retries: an API the emulator lacks fails in seconds, not after 25 attempts. */
export const MAX_RETRIES = 2;

function providerOverride(endpoint: string, options: OverrideOptions, alias?: string) {
  return {
    ...(alias ? { alias } : {}),
    ...credentialsOf(options),
    skip_credentials_validation: true,
    skip_metadata_api_check: true,
    s3_use_path_style: true,
    max_retries: MAX_RETRIES,
    endpoints: [Object.fromEntries(SERVICES.map((service) => [service, endpoint]))],
  };
}

/** What an S3 backend (or a `terraform_remote_state` of one) needs to reach the emulator's S3. */
export function s3Config(
  endpoint: string,
  config: Record<string, unknown>,
  options: OverrideOptions = {},
) {
  return {
    ...config,
    ...credentialsOf(options),
    endpoints: { s3: endpoint, sts: endpoint, iam: endpoint },
    use_path_style: true,
    skip_credentials_validation: true,
    skip_requesting_account_id: true,
    skip_metadata_api_check: true,
    max_retries: MAX_RETRIES,
  };
}

interface RootJson {
  terraform?: { backend?: { s3?: Record<string, unknown> } };
  provider?: { aws?: { alias?: string }[] };
  data?: {
    terraform_remote_state?: Record<string, { backend: string; config: Record<string, unknown> }>;
  };
}

/** The override for one root: its providers, its S3 backend and the remote states it reads. */
export function overrideFor(
  root: RootJson,
  endpoint: string,
  options: OverrideOptions = {},
): Record<string, unknown> {
  const override: Record<string, unknown> = {
    provider: {
      aws: (root.provider?.aws ?? [{}]).map((p) => providerOverride(endpoint, options, p.alias)),
    },
  };
  const backend = root.terraform?.backend?.s3;
  if (backend) {
    const prefix = options.workspaceKeyPrefix;
    const config = prefix ? { ...backend, workspace_key_prefix: prefix } : backend;
    override.terraform = { backend: { s3: s3Config(endpoint, config, options) } };
  }
  const states = root.data?.terraform_remote_state;
  if (states) {
    override.data = {
      terraform_remote_state: Object.fromEntries(
        Object.entries(states).map(([name, state]) => [
          name,
          { backend: state.backend, config: s3Config(endpoint, state.config, options) },
        ]),
      ),
    };
  }
  return override;
}
