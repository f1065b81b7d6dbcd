import { describe, expect, it } from "vitest";
import { commonVariables, defineModule, synthesizeModule } from "../src/index.ts";
import { hasTerraform, planErrors } from "../src/testing.ts";

const json = synthesizeModule(
  defineModule({ domain: "c", description: "", example: "", build: commonVariables }),
).json;

describe("commonVariables", () => {
  it("writes validation conditions as Terraform JSON expressions", () => {
    for (const variable of Object.values(json.variable ?? {})) {
      for (const rule of variable.validation ?? []) expect(rule.condition).toMatch(/^\$\{.*\}$/);
    }
  });

  it.skipIf(!hasTerraform)(
    "accepts a good name and role and rejects bad ones (real terraform)",
    () => {
      expect(planErrors(json, { name: "payments-prod", role: "primary" })).toBe("");
      const errors = planErrors(json, { name: "Payments_Prod", role: "tertiary" });
      expect(errors).toContain("name must be 3-40 characters");
      expect(errors).toContain("role must be primary or secondary");
    },
  );
});
