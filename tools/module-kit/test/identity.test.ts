import { describe, expect, it } from "vitest";
import {
  defineModule,
  identityPolicyAttachment,
  identityRole,
  identityRolePolicy,
  identityVariables,
  roleArn,
  synthesizeModule,
} from "../src/index.ts";
import { evaluate, expr, hasTerraform, planErrors } from "../src/testing.ts";

const sample = defineModule({
  domain: "sample",
  description: "A sample module.",
  example: "",
  removed: ["aws_iam_role.worker"],
  build(stack) {
    roleArn(stack, "sample-worker-${data.aws_region.current.id}");
  },
  identity: {
    description: "Its roles.",
    example: "",
    build(stack) {
      identityVariables(stack);
      const role = identityRole(stack, "worker", {
        name: (region) => `\${var.name}-worker-${region}`,
        description: "Runs the worker.",
        assumeRolePolicy: "{}",
      });
      identityRolePolicy(stack, role, { name: "work", policy: "{}" });
      identityPolicyAttachment(
        stack,
        role,
        "xray",
        "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess",
      );
    },
  },
});
const { json, identity } = synthesizeModule(sample);

describe("a module's identity part", () => {
  it("forgets the regional part's old addresses without destroying them", () => {
    expect(json.removed).toEqual([{ from: "aws_iam_role.worker", lifecycle: { destroy: false } }]);
    expect(json.resource).toBeUndefined();
  });

  it("makes each resource once per region, inside the boundary, each naming the region's role", () => {
    const resource = identity!.resource!;
    expect(resource.aws_iam_role?.worker).toMatchObject({
      for_each: "${local.worker_role_names}",
      name: "${each.value}",
      permissions_boundary: "${var.permissions_boundary}",
    });
    expect(resource.aws_iam_role_policy?.worker?.role).toBe("${aws_iam_role.worker[each.key].id}");
    expect(resource.aws_iam_role_policy_attachment?.xray?.role).toBe(
      "${aws_iam_role.worker[each.key].name}",
    );
    expect(Object.keys(identity!.variable ?? {}).sort()).toEqual([
      "name",
      "permissions_boundary",
      "regions",
    ]);
  });

  it.skipIf(!hasTerraform)(
    "gives the import id of each resource in each region, from the inputs alone",
    () => {
      const ids = identity!.output!.import_ids!.value as Record<string, string>;
      const values = { name: "payments-dev", regions: ["us-east-1", "us-west-2"] };
      const addresses = Object.keys(ids).sort();
      expect(addresses).toEqual([
        "aws_iam_role.worker",
        "aws_iam_role_policy.worker",
        "aws_iam_role_policy_attachment.xray",
      ]);
      const evaluated = evaluate(
        identity!,
        values,
        addresses.map((a) => expr(ids[a])),
        identity!.locals,
      );
      expect(evaluated).toEqual([
        {
          "us-east-1": "payments-dev-worker-us-east-1",
          "us-west-2": "payments-dev-worker-us-west-2",
        },
        {
          "us-east-1": "payments-dev-worker-us-east-1:work",
          "us-west-2": "payments-dev-worker-us-west-2:work",
        },
        {
          "us-east-1":
            "payments-dev-worker-us-east-1/arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess",
          "us-west-2":
            "payments-dev-worker-us-west-2/arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess",
        },
      ]);
    },
  );

  it("refuses a role declared before the identity inputs", () => {
    const broken = defineModule({
      ...sample,
      identity: {
        description: "",
        example: "",
        build(stack) {
          identityRole(stack, "early", { name: (r) => r, description: "", assumeRolePolicy: "{}" });
        },
      },
    });
    expect(() => synthesizeModule(broken)).toThrow(
      "aws_iam_role.early: declare identityVariables first",
    );
  });

  it.skipIf(!hasTerraform)("accepts exactly two different regions", () => {
    const check = (regions: string[]) => planErrors(identity!, { name: "x-y", regions });
    expect(check(["us-east-1", "us-west-2"])).toBe("");
    for (const wrong of [["us-east-1", "us-east-1"], ["us-east-1"], ["us-east-1", "moon"]])
      expect(check(wrong)).toContain("regions must be two different AWS regions.");
  });
});
