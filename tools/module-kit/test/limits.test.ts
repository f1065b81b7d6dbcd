import { describe, expect, it } from "vitest";
import {
  AURORA_INSTANCE_CLASS_PATTERN,
  JWT_ISSUER_PATTERN,
  VPC_PREFIX,
  wholeNumberIn,
} from "../src/index.ts";
import type { TerraformModuleJson } from "../src/module.ts";
import { evaluate, hasTerraform } from "../src/testing.ts";

const json = { variable: { v: { type: "number", default: 0 } } } as unknown as TerraformModuleJson;

const issuers: [string, boolean][] = [
  ["https://auth.acme-payments.com", true],
  ["https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123", true],
  ["https://login.acme.com:8443/realms/payments/", true],
  ["http://auth.acme-payments.com", false],
  ["https://auth.acme.com/?tenant=1", false],
  ["https://auth.acme.com/#x", false],
  ["auth.acme.com", false],
  ["https://auth acme.com", false],
];

describe("shared limits", () => {
  it("keep the largest VPC prefix whose public /+8 subnets are still valid AWS subnets (/28)", () => {
    expect(VPC_PREFIX.max + 8).toBe(28);
    expect(VPC_PREFIX.min).toBe(16);
  });

  it("accept only memory-optimized Aurora classes", () => {
    const re = new RegExp(AURORA_INSTANCE_CLASS_PATTERN);
    expect("db.r6g.large").toMatch(re);
    expect("db.r7g.12xlarge").toMatch(re);
    for (const bad of ["db.t4g.medium", "db.m5.large", "db.r6g"]) expect(bad).not.toMatch(re);
  });

  it("accept https issuers without query or fragment (JavaScript)", () => {
    const re = new RegExp(JWT_ISSUER_PATTERN);
    expect(issuers.map(([issuer]) => re.test(issuer))).toEqual(issuers.map(([, ok]) => ok));
  });

  it.skipIf(!hasTerraform)(
    "give the same issuer answers in Terraform's regex() (real terraform)",
    () => {
      const answers = evaluate(
        json,
        {},
        issuers.map(
          ([issuer]) =>
            `can(regex(${JSON.stringify(JWT_ISSUER_PATTERN)}, ${JSON.stringify(issuer)}))`,
        ),
      );
      expect(answers).toEqual(issuers.map(([, ok]) => ok));
    },
  );

  it.skipIf(!hasTerraform)("wholeNumberIn is an HCL range check (real terraform)", () => {
    const range = { min: 2, max: 6 };
    const results = [1, 2, 6, 7, 2.5].map(
      (value) => evaluate(json, { v: value }, [wholeNumberIn("var.v", range)])[0],
    );
    expect(results).toEqual([false, true, true, false, false]);
  });
});
