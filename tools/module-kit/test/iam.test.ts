import { describe, expect, it } from "vitest";
import {
  assumeRolePolicy,
  defineModule,
  moduleRole,
  permissionsBoundaryVariable,
  synthesizeModule,
} from "../src/index.ts";
import { hasTerraform, planErrors } from "../src/testing.ts";

const { json } = synthesizeModule(
  defineModule({
    domain: "iam",
    description: "",
    example: "",
    build(stack) {
      assumeRolePolicy(stack, { id: "plain", service: "lambda.amazonaws.com" });
      assumeRolePolicy(stack, {
        id: "guarded",
        service: "vpc-flow-logs.amazonaws.com",
        sourceAccount: true,
        sourceArn: "arn:aws:ec2:eu-west-1:123456789012:vpc-flow-log/*",
      });
    },
  }),
);
const documents = json.data?.aws_iam_policy_document ?? {};

describe("assumeRolePolicy", () => {
  it("lets only the service assume the role, with no condition unless asked", () => {
    expect(documents.plain).toEqual({
      statement: [
        {
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }],
        },
      ],
    });
  });

  it("limits the service to this account and then to the source ARN", () => {
    const [statement] = (documents.guarded as { statement: { condition: unknown }[] }).statement;
    expect(statement?.condition).toEqual([
      {
        test: "StringEquals",
        variable: "aws:SourceAccount",
        values: ["${data.aws_caller_identity.current.account_id}"],
      },
      {
        test: "ArnLike",
        variable: "aws:SourceArn",
        values: ["arn:aws:ec2:eu-west-1:123456789012:vpc-flow-log/*"],
      },
    ]);
  });
});

describe("moduleRole", () => {
  const withRole = (declareBoundary: boolean) =>
    synthesizeModule(
      defineModule({
        domain: "iam",
        description: "",
        example: "",
        build(stack) {
          if (declareBoundary) permissionsBoundaryVariable(stack);
          const assume = assumeRolePolicy(stack, { id: "assume", service: "lambda.amazonaws.com" });
          moduleRole(stack, "worker", { name: "worker", assumeRolePolicy: assume.json });
        },
      }),
    ).json;

  it("carries the module's permissions_boundary input, null unless given", () => {
    const json = withRole(true);
    expect(json.resource?.aws_iam_role?.worker?.permissions_boundary).toBe(
      "${var.permissions_boundary}",
    );
    expect(json.variable?.permissions_boundary?.default).toBeNull();
  });

  it("refuses a module that does not declare the input", () => {
    expect(() => withRole(false)).toThrow(
      "aws_iam_role.worker: declare the permissions_boundary input",
    );
  });

  it.skipIf(!hasTerraform)(
    "accepts a policy ARN or null, refuses anything else (real terraform)",
    () => {
      const json = withRole(true);
      const boundary = "arn:aws:iam::123456789012:policy/tandem-dev-apply-boundary";
      expect(planErrors(json, { permissions_boundary: boundary })).toBe("");
      expect(planErrors(json, {})).toBe("");
      for (const wrong of ["tandem-dev-apply-boundary", "arn:aws:iam::123456789012:role/x"]) {
        expect(planErrors(json, { permissions_boundary: wrong }), wrong).toContain(
          "permissions_boundary must be an IAM policy ARN",
        );
      }
    },
  );
});
