// The OIDC exchange of aws-actions/configure-aws-credentials, for rehearsals (see action.yml).
/* global fetch, URLSearchParams -- Node.js 18+ globals, as the runner provides them */
import { appendFileSync } from "node:fs";

const input = (name) => (process.env[`INPUT_${name.toUpperCase()}`] ?? "").trim();
const fail = (message) => {
  console.log(`::error title=configure-aws-credentials::${message}`);
  process.exit(1);
};
const append = (file, key, value) => appendFileSync(process.env[file], `${key}=${value}\n`);

const region = input("aws-region");
const role = input("role-to-assume");
if (!region) fail("Input required and not supplied: aws-region");
if (!role) fail("Input required and not supplied: role-to-assume");

const tokenUrl = process.env.ACTIONS_ID_TOKEN_REQUEST_URL;
const requestToken = process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
if (!tokenUrl || !requestToken)
  fail("Could not get ID token: give the job the permission `id-token: write`");
const url = new URL(tokenUrl);
url.searchParams.set("audience", input("audience") || "sts.amazonaws.com");
// On GitHub the token request URL is the job's own; here the runner also names the job.
const tokenResponse = await fetch(url, {
  headers: {
    authorization: `Bearer ${requestToken}`,
    "x-github-job": process.env.GITHUB_JOB ?? "",
  },
});
if (!tokenResponse.ok)
  fail(`Could not get ID token: ${tokenResponse.status} ${await tokenResponse.text()}`);
const { value: webIdentityToken } = await tokenResponse.json();

const endpoint =
  process.env.AWS_ENDPOINT_URL_STS ||
  process.env.AWS_ENDPOINT_URL ||
  `https://sts.${region}.amazonaws.com`;
const form = new URLSearchParams({
  Action: "AssumeRoleWithWebIdentity",
  Version: "2011-06-15",
  RoleArn: role,
  RoleSessionName: input("role-session-name") || "GitHubActions",
  DurationSeconds: input("role-duration-seconds") || "3600",
  WebIdentityToken: webIdentityToken,
});
const stsResponse = await fetch(endpoint, { method: "POST", body: form });
const xml = await stsResponse.text();
const tag = (name) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1] ?? "";
if (!stsResponse.ok) fail(`Could not assume role with OIDC: ${tag("Code")}: ${tag("Message")}`);

const credentials = {
  AWS_ACCESS_KEY_ID: tag("AccessKeyId"),
  AWS_SECRET_ACCESS_KEY: tag("SecretAccessKey"),
  AWS_SESSION_TOKEN: tag("SessionToken"),
};
for (const [key, value] of Object.entries(credentials)) {
  if (!value) fail(`STS answered without ${key}`);
  console.log(`::add-mask::${value}`);
  append("GITHUB_ENV", key, value);
}
append("GITHUB_ENV", "AWS_REGION", region);
append("GITHUB_ENV", "AWS_DEFAULT_REGION", region);
const arn = tag("Arn");
const account = arn.split(":")[4] ?? "";
if (input("mask-aws-account-id") === "true") console.log(`::add-mask::${account}`);
append("GITHUB_OUTPUT", "aws-account-id", account);
append("GITHUB_OUTPUT", "authenticated-arn", arn);
console.log(`Assumed ${role} in ${region}`);
