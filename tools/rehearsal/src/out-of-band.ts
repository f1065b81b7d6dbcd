/**
 * Changes made to the sandbox out of band, as someone with console access would make them: with
 * boto3 (the sandbox's .venv) on the sandbox's endpoint, as its admin test user.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { RehearsalError } from "./errors.ts";

const SET_FILTER_POLICY = `
import json, sys
import boto3
region, email, policy = sys.argv[1:4]
sns = boto3.client("sns", region_name=region)
arns = [s["SubscriptionArn"]
        for page in sns.get_paginator("list_subscriptions").paginate()
        for s in page["Subscriptions"] if s["Endpoint"] == email]
if len(arns) != 1:
    sys.exit(f"expected one subscription of {email} in {region}, found {len(arns)}")
sns.set_subscription_attributes(SubscriptionArn=arns[0], AttributeName="FilterPolicy", AttributeValue=policy)
print(arns[0])
`;

/** Gives the SNS subscription of `email` in `region` a filter policy; returns its ARN. */
export async function setSubscriptionFilterPolicy(
  sandbox: { repoRoot: string; endpoint: string },
  region: string,
  email: string,
  policy: Record<string, string[]>,
): Promise<string> {
  const python = join(sandbox.repoRoot, ".venv", "bin", "python");
  const env = {
    PATH: process.env.PATH ?? "",
    AWS_ENDPOINT_URL: sandbox.endpoint,
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_EC2_METADATA_DISABLED: "true",
  };
  const args = ["-c", SET_FILTER_POLICY, region, email, JSON.stringify(policy)];
  try {
    const { stdout } = await promisify(execFile)(python, args, { env, timeout: 60_000 });
    return stdout.trim();
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new RehearsalError(
      `the out-of-band change of ${email}'s subscription in ${region} failed: ${(stderr ?? String(error)).trim().split("\n").at(-1)}`,
    );
  }
}
