import { describe, expect, it } from "vitest";
import { defineModule, synthesizeModule, variable } from "../src/index.ts";
import { hasTerraform, planErrors } from "../src/testing.ts";

const { json } = synthesizeModule(
  defineModule({
    domain: "v",
    description: "",
    example: "",
    build(stack) {
      variable(stack, "bare", { type: "string", description: "Only what is required." });
      variable(stack, "port", {
        type: "number",
        description: "A TCP port.",
        default: 443,
        nullable: false,
        rules: [
          ["var.port == floor(var.port)", "port must be a whole number."],
          ["var.port >= 1 && var.port <= 65535", "port must be from 1 to 65535."],
        ],
      });
      variable(stack, "lock", {
        type: "object({ days = number })",
        description: "Optional.",
        default: null,
        nullable: true,
        rules: [],
      });
      variable(stack, "token", { type: "string", description: "Secret.", sensitive: true });
    },
  }),
);
const variables = json.variable ?? {};

describe("variable", () => {
  it("writes only the keys it is given", () => {
    expect(variables.bare).toEqual({ type: "string", description: "Only what is required." });
    expect(variables.token).toEqual({ type: "string", description: "Secret.", sensitive: true });
    expect(variables.port).toMatchObject({ default: 443, nullable: false });
  });

  it("writes a null default and an empty rule list as given", () => {
    expect(variables.lock).toHaveProperty("default", null);
    expect(variables.lock).toMatchObject({ nullable: true, validation: [] });
  });

  it("wraps each condition in ${...}, keeping the rules' order", () => {
    expect(variables.port?.validation).toEqual([
      {
        condition: "${var.port == floor(var.port)}",
        error_message: "port must be a whole number.",
      },
      {
        condition: "${var.port >= 1 && var.port <= 65535}",
        error_message: "port must be from 1 to 65535.",
      },
    ]);
  });

  it.skipIf(!hasTerraform)("rules reject bad values (real terraform)", () => {
    const values = { bare: "x", token: "t" };
    expect(planErrors(json, { ...values, port: 8443, lock: { days: 3 } })).toBe("");
    expect(planErrors(json, values)).toBe(""); // port defaults to 443, lock to null
    const errors = planErrors(json, { ...values, port: 70000.5 });
    expect(errors).toContain("port must be a whole number.");
    expect(errors).toContain("port must be from 1 to 65535.");
  });
});
