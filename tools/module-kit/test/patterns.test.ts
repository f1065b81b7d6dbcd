import { describe, expect, it } from "vitest";
import { AWS_REGION_PATTERN, DNS_NAME_PATTERN } from "../src/index.ts";
import { evaluate, hasTerraform } from "../src/testing.ts";
import type { TerraformModuleJson } from "../src/module.ts";

const cases: [pattern: string, good: string[], bad: string[]][] = [
  [
    AWS_REGION_PATTERN,
    ["us-east-1", "ap-southeast-2", "us-gov-west-1"],
    ["", "us-east", "US-EAST-1"],
  ],
  [
    DNS_NAME_PATTERN,
    ["pay.acme-payments.com", "abc123.execute-api.us-east-1.amazonaws.com"],
    ["com", "pay.example.com.", "https://pay.example.com", "-pay.example.com", "Pay.example.com"],
  ],
];

describe("patterns", () => {
  it("accept the names they describe and nothing else (JavaScript)", () => {
    for (const [pattern, good, bad] of cases) {
      for (const name of good) expect(name).toMatch(new RegExp(pattern));
      for (const name of bad) expect(name).not.toMatch(new RegExp(pattern));
    }
  });

  it.skipIf(!hasTerraform)("give the same answers in Terraform's regex() (real terraform)", () => {
    // Terraform JSON rejects an empty `variable` object: give it one.
    const json = {
      variable: { unused: { type: "string", default: "" } },
    } as unknown as TerraformModuleJson;
    for (const [pattern, good, bad] of cases) {
      const names = [...good, ...bad];
      const matches = evaluate(
        json,
        {},
        names.map((name) => `can(regex(${JSON.stringify(pattern)}, ${JSON.stringify(name)}))`),
      );
      expect(matches).toEqual(names.map((_, i) => i < good.length));
    }
  });
});
