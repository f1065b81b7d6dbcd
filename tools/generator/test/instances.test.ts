// Issue 13, class 10: count and for_each evaluated against a module call's inputs, and
// "unknown" wherever a value is known only at apply.
import { describe, expect, it } from "vitest";
import type { TerraformModuleJson } from "@tandem/module-kit";
import { instanceCounts, UNKNOWN } from "../src/modules/instances.ts";

function module(resource: Record<string, unknown>, variable: Record<string, unknown> = {}) {
  return {
    terraform: {},
    variable,
    locals: {
      endpoints: { primary: "${var.primary}", secondary: "${var.secondary}" },
      azs: "${slice(data.aws_availability_zones.available.names, 0, var.az_count)}",
      nat: "${toset(var.single ? slice(local.azs, 0, 1) : local.azs)}",
    },
    resource: { aws_thing: resource },
  } as unknown as TerraformModuleJson;
}

describe("instanceCounts", () => {
  const role = { role: { type: "string" } };

  it.each([
    ['${var.role == "primary" ? 1 : 0}', { role: "primary" }, 1],
    ['${var.role == "primary" ? 1 : 0}', { role: "secondary" }, 0],
    ['${(var.role == "secondary") ? 1 : 0}', { role: "secondary" }, 1],
    ['${var.role == "global" ? 0 : 1}', { role: "global" }, 0],
    ['${var.role != "global" && var.role != "secondary" ? 2 : 0}', { role: "primary" }, 2],
    ['${!(var.role == "primary") ? 3 : 1 + 1}', { role: "primary" }, 2],
  ])("count %s with %j is %d", (expression, inputs, n) => {
    expect(
      instanceCounts(module({ it: { count: expression } }, role), inputs).get("aws_thing.it"),
    ).toBe(n);
  });

  const of = (block: Record<string, unknown>, inputs: Record<string, unknown>, variable = {}) =>
    instanceCounts(module({ it: block }, variable), inputs).get("aws_thing.it");

  it("uses a variable's default when the call does not pass it", () => {
    const variable = { vault_lock: { default: null }, instance_count: { default: 2 } };
    expect(of({ count: "${var.vault_lock == null ? 0 : 1}" }, {}, variable)).toBe(0);
    expect(
      of({ count: "${var.vault_lock == null ? 0 : 1}" }, { vault_lock: { min: 7 } }, variable),
    ).toBe(1);
    expect(of({ count: "${var.instance_count}" }, {}, variable)).toBe(2);
    expect(of({ count: "${var.instance_count}" }, { instance_count: 3 }, variable)).toBe(3);
  });

  it("counts for_each over sets (distinct), lists and objects, keys known even when values are not", () => {
    const variable = { alarm_emails: {}, primary: {}, secondary: {} };
    const emails = { alarm_emails: ["a@x.io", "b@x.io", "a@x.io"] };
    expect(of({ for_each: "${toset(var.alarm_emails)}" }, emails, variable)).toBe(2);
    expect(of({ for_each: '${toset(["audit", "error", "general"])}' }, {}, variable)).toBe(3);
    const endpoints = { primary: "${module.a.b}", secondary: "${data.x.y.z}" };
    expect(of({ for_each: "${local.endpoints}" }, endpoints, variable)).toBe(2);
  });

  it("says unknown for what depends on data sources, other modules or for expressions", () => {
    const variable = { role: {}, health_check_ids: {}, az_count: { default: 3 }, single: {} };
    expect(of({ for_each: "${local.nat}" }, { single: false }, variable)).toBe(UNKNOWN);
    expect(
      of(
        { for_each: '${var.role == "global" ? var.health_check_ids : {}}' },
        {
          role: "global",
          health_check_ids: "${module.dns.health_check_ids}",
        },
        variable,
      ),
    ).toBe(UNKNOWN);
    expect(
      of(
        { for_each: '${var.role == "global" ? var.health_check_ids : {}}' },
        {
          role: "primary",
          health_check_ids: "${module.dns.health_check_ids}",
        },
        variable,
      ),
    ).toBe(0);
    expect(of({ for_each: "${{ for r in var.x : r.name => r }}" }, {}, variable)).toBe(UNKNOWN);
    expect(of({ count: "${var.undeclared ? 1 : 0}" }, {}, variable)).toBe(UNKNOWN);
    expect(
      of({ count: "${length(var.role) > 3 ? 1 : 0}" }, { role: "${module.x.y}" }, variable),
    ).toBe(UNKNOWN);
  });

  it("counts a block without count or for_each once", () => {
    expect(of({ name: "x" }, {})).toBe(1);
  });
});
