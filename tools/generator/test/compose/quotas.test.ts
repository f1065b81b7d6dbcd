import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bootstrapRoots } from "../../src/compose/bootstrap.ts";
import {
  composeEnvironment,
  type Deployment,
  type ModuleResolver,
} from "../../src/compose/deployments.ts";
import {
  accountEnvironment,
  functionReservations,
  quotaChecks,
  quotaNeeds,
} from "../../src/compose/quotas.ts";
import { CompositionError } from "../../src/errors.ts";
import type { Environment } from "../../src/manifest/index.ts";
import type { Manifest } from "../../src/manifest/schema.ts";
import { readReleasedModule } from "../../src/modules/artifact.ts";
import {
  contractModule,
  contractResolver,
  exampleEnvironment,
  REPO,
  TOOLCHAIN,
} from "../helpers.ts";
import { evaluate } from "../iam/evaluate.ts";

/** compute's released functions, as they reserve; the other domains' contracts. */
const resolve: ModuleResolver = (domain, version) =>
  domain === "compute"
    ? {
        source: `../../../../modules/compute/releases/${version}`,
        files: readReleasedModule(REPO, join("modules/compute/releases", version)),
      }
    : contractResolver(domain, version);

/** An example environment with compute at `compute` (dev's `workspace` taken as a release). */
const pinned = (name: "dev" | "staging" | "prod", compute: string): Environment => {
  const environment = exampleEnvironment(name);
  return { ...environment, modules: { ...environment.modules, compute } };
};
const dev = pinned("dev", "3.0.1");
const staging = pinned("staging", "3.0.1");
const prod = pinned("prod", "2.0.0");
const environments = [dev, staging, prod];
const manifests = environments.map((e) => e.manifest);
const asAccount = (e: Environment) =>
  accountEnvironment(e, resolve("compute", e.modules.compute).files.json);

/** Each checked quota's total and shares, by data source name. */
const needs = (environment: Environment, region: string, account = environments) =>
  Object.fromEntries(
    quotaNeeds(asAccount(environment), region, account.map(asAccount)).map((n) => [
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
      expect(needs(prod, region)).toEqual({
        lambda_concurrent_executions: [305, ["prod 205"]],
        ec2_vpc_elastic_ips: [3, ["prod 3"]],
      });
    }
  });

  it("adds up the environments that share an account and a region, and only those", () => {
    // dev (us-east-2 + us-west-2) and staging (us-east-1 + us-west-2) share account 123456789012.
    // With compute 3.x each also reserves 1 for the region check.
    expect(needs(staging, "us-west-2")).toEqual({
      lambda_concurrent_executions: [172, ["dev 16", "staging 56"]],
      ec2_vpc_elastic_ips: [2, ["dev 1", "staging 1"]],
    });
    expect(needs(dev, "us-west-2")).toEqual(needs(staging, "us-west-2"));
    expect(needs(staging, "us-east-1")).toEqual({
      lambda_concurrent_executions: [156, ["staging 56"]],
      ec2_vpc_elastic_ips: [1, ["staging 1"]],
    });
    expect(needs(dev, "us-east-2")).toEqual({
      lambda_concurrent_executions: [116, ["dev 16"]],
      ec2_vpc_elastic_ips: [1, ["dev 1"]],
    });
  });

  it("counts the environment itself when the account list lacks it", () => {
    expect(needs(prod, "us-east-1", [])).toEqual(needs(prod, "us-east-1"));
  });

  it("reads what each compute release reserves: payments, then /health (2.0.0), then the region check (2.2.0)", () => {
    const lambdaOf = (compute: string) =>
      needs(pinned("staging", compute), "us-east-1", []).lambda_concurrent_executions;
    expect(lambdaOf("1.1.0")).toEqual([150, ["staging 50"]]);
    expect(lambdaOf("2.1.0")).toEqual([155, ["staging 55"]]);
    expect(lambdaOf("2.2.0")).toEqual([156, ["staging 56"]]);
  });

  it("refuses a reservation it cannot count, naming the function", () => {
    const module = contractModule("compute", (json) => {
      json.resource = {
        aws_lambda_function: { this: { reserved_concurrent_executions: "${local.reserved}" } },
      };
    }).json;
    expect(() => functionReservations(module, {})).toThrow(
      new CompositionError(
        "aws_lambda_function.this reserves ${local.reserved}, which the quota check cannot count",
      ),
    );
  });
});

describe("the quota data sources of the roots", () => {
  const [primary, secondary, global] = composeEnvironment(prod, resolve, TOOLCHAIN, environments);

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
    const hash = (account: Environment[]) =>
      composeEnvironment(staging, resolve, TOOLCHAIN, account)
        .filter((d) => d.name !== "identity")
        .map((d) => d.sha256);
    const busierDev = {
      ...dev,
      manifest: { ...dev.manifest, compute: { ...dev.manifest.compute, reservedConcurrency: 60 } },
    };
    const [east, west, global2] = hash(environments);
    const [eastAfter, westAfter, globalAfter] = hash([busierDev, staging]);
    expect(eastAfter).toBe(east); // dev has no root in us-east-1
    expect(westAfter).not.toBe(west);
    expect(globalAfter).toBe(global2);
    const westChecks = quotaChecks(asAccount(staging), "us-west-2", [asAccount(busierDev)]) as {
      aws_servicequotas_service_quota: Record<string, Check>;
    };
    expect(
      westChecks.aws_servicequotas_service_quota.lambda_concurrent_executions!.lifecycle
        .postcondition[0]!.condition,
    ).toBe("${self.value >= 222}"); // dev 60 + 5 + 1, staging 56, 100 unreserved
  });
});

describe("the roles that plan may read the quotas", () => {
  const roots = bootstrapRoots(manifests, TOOLCHAIN);
  // The provider's two reads per quota: the default, then the account's applied value.
  const reads = (m: Manifest) =>
    quotaNeeds({ manifest: m, reservedConcurrency: 0 }, m.regions.primary, []).flatMap(
      ({ quota }) => [
        ["servicequotas:GetAWSDefaultServiceQuota", "*"],
        [
          "servicequotas:GetServiceQuota",
          `arn:aws:servicequotas:${m.regions.primary}:${m.account}:${quota.serviceCode}/${quota.quotaCode}`,
        ],
      ],
    );
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
