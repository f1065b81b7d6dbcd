import { describe, expect, it } from "vitest";
import { bootstrapRoots } from "../../src/compose/bootstrap.ts";
import { composeEnvironment, type Deployment } from "../../src/compose/deployments.ts";
import { quotaChecks, quotaNeeds } from "../../src/compose/quotas.ts";
import type { Manifest } from "../../src/manifest/schema.ts";
import { contractResolver, exampleEnvironment, TOOLCHAIN } from "../helpers.ts";
import { evaluate } from "../iam/evaluate.ts";

const dev = exampleEnvironment("dev");
const staging = exampleEnvironment("staging");
const prod = exampleEnvironment("prod");
const manifests = [dev, staging, prod].map((e) => e.manifest);

/** Each checked quota's total and shares, by data source name. */
const needs = (manifest: Manifest, region: string, account: Manifest[] = manifests) =>
  Object.fromEntries(
    quotaNeeds(manifest, region, account).map((n) => [
      n.quota.id,
      [n.total, n.shares.map((s) => `${s.environment} ${s.uses}`)],
    ]),
  );

type Check = {
  service_code: string;
  quota_code: string;
  lifecycle: { postcondition: { condition: string; error_message: string }[] };
};
const checksOf = (d: Deployment) =>
  (d.root.data as { aws_servicequotas_service_quota?: Record<string, Check> } | undefined)
    ?.aws_servicequotas_service_quota;

describe("what the manifests need of each quota, per account and region", () => {
  it("prod: its two functions reserve 200 + 5, Lambda keeps 100 unreserved, a NAT gateway per AZ", () => {
    for (const region of ["us-east-1", "us-west-2"]) {
      expect(needs(prod.manifest, region)).toEqual({
        lambda_concurrent_executions: [305, ["prod 205"]],
        ec2_vpc_elastic_ips: [3, ["prod 3"]],
      });
    }
  });

  it("adds up the environments that share an account and a region, and only those", () => {
    // dev (us-east-2 + us-west-2) and staging (us-east-1 + us-west-2) share account 123456789012.
    expect(needs(staging.manifest, "us-west-2")).toEqual({
      lambda_concurrent_executions: [170, ["dev 15", "staging 55"]],
      ec2_vpc_elastic_ips: [2, ["dev 1", "staging 1"]],
    });
    expect(needs(dev.manifest, "us-west-2")).toEqual(needs(staging.manifest, "us-west-2"));
    expect(needs(staging.manifest, "us-east-1")).toEqual({
      lambda_concurrent_executions: [155, ["staging 55"]],
      ec2_vpc_elastic_ips: [1, ["staging 1"]],
    });
    expect(needs(dev.manifest, "us-east-2")).toEqual({
      lambda_concurrent_executions: [115, ["dev 15"]],
      ec2_vpc_elastic_ips: [1, ["dev 1"]],
    });
  });

  it("counts the environment itself when the account list lacks it", () => {
    expect(needs(prod.manifest, "us-east-1", [])).toEqual(needs(prod.manifest, "us-east-1"));
  });
});

describe("the quota data sources of the roots", () => {
  const [primary, secondary, global] = composeEnvironment(
    prod,
    contractResolver,
    TOOLCHAIN,
    manifests,
  );

  it("each regional root reads both quotas with a postcondition at the computed figure", () => {
    for (const root of [primary!, secondary!]) {
      const checks = checksOf(root)!;
      expect(Object.keys(checks)).toEqual(["lambda_concurrent_executions", "ec2_vpc_elastic_ips"]);
      const lambda = checks.lambda_concurrent_executions!;
      expect(lambda).toMatchObject({ service_code: "lambda", quota_code: "L-B99A9384" });
      const [post] = lambda.lifecycle.postcondition;
      expect(post!.condition).toBe("${self.value >= 305}");
      expect(post!.error_message).toContain(
        `Lambda concurrent executions (Service Quotas lambda L-B99A9384) in ${root.region} of account 210987654321 is \${self.value}`,
      );
      expect(post!.error_message).toContain("(prod 205 + 100 Lambda keeps unreserved)");
      expect(post!.error_message).toContain(
        `aws service-quotas request-service-quota-increase --service-code lambda --quota-code L-B99A9384 --desired-value 305 --region ${root.region}`,
      );
      const eips = checks.ec2_vpc_elastic_ips!;
      expect(eips).toMatchObject({ service_code: "ec2", quota_code: "L-0263D0A3" });
      expect(eips.lifecycle.postcondition[0]!.condition).toBe("${self.value >= 3}");
    }
  });

  it("the global root checks none: what it creates stays far below its quotas' defaults", () => {
    expect(checksOf(global!)).toBeUndefined();
  });

  it("a regional root changes with another environment's share of its account and region", () => {
    const hash = (account: Manifest[]) =>
      composeEnvironment(staging, contractResolver, TOOLCHAIN, account).map((d) => d.sha256);
    const busierDev = {
      ...dev.manifest,
      compute: { ...dev.manifest.compute, reservedConcurrency: 60 },
    };
    const [east, west, global2] = hash(manifests);
    const [eastAfter, westAfter, globalAfter] = hash([busierDev, staging.manifest]);
    expect(eastAfter).toBe(east); // dev has no root in us-east-1
    expect(westAfter).not.toBe(west);
    expect(globalAfter).toBe(global2);
    const westChecks = quotaChecks(staging.manifest, "us-west-2", [busierDev]) as {
      aws_servicequotas_service_quota: Record<string, Check>;
    };
    expect(
      westChecks.aws_servicequotas_service_quota.lambda_concurrent_executions!.lifecycle
        .postcondition[0]!.condition,
    ).toBe("${self.value >= 220}");
  });
});

describe("the roles that plan may read the quotas", () => {
  const roots = bootstrapRoots(manifests, TOOLCHAIN);
  // The provider's two reads per quota: the default, then the account's applied value.
  const reads = (m: Manifest) =>
    quotaNeeds(m, m.regions.primary, manifests).flatMap(({ quota }) => [
      ["servicequotas:GetAWSDefaultServiceQuota", "*"],
      [
        "servicequotas:GetServiceQuota",
        `arn:aws:servicequotas:${m.regions.primary}:${m.account}:${quota.serviceCode}/${quota.quotaCode}`,
      ],
    ]);
  const cases = manifests.flatMap((m) =>
    (["plan", "apply"] as const).map((kind) => [m.name, kind, m] as const),
  );
  it.each(cases)("%s as its %s role", async (_, kind, m) => {
    const root = roots.find((r) => r.environments.includes(m.name))!;
    for (const [action, resource] of reads(m)) {
      const verdict = await evaluate(root, m.name, kind, { action: action!, resource: resource! });
      expect(verdict.decision, `${action} ${resource}`).toBe("Allowed");
    }
    // Reading is all the checks do; the plan role cannot ask for an increase.
    const request = await evaluate(root, m.name, kind, {
      action: "servicequotas:RequestServiceQuotaIncrease",
      resource: "*",
    });
    expect(request.decision).toBe(kind === "plan" ? "ImplicitlyDenied" : "Allowed");
  });
});
