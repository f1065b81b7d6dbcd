import { describe, expect, it } from "vitest";
import { assumeRolePolicy, defineModule, synthesizeModule } from "../src/index.ts";

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
