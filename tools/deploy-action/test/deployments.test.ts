import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { applyOrder, selectDeployments, type Deployment } from "../src/deployments.ts";
import { UserError } from "../src/errors.ts";

const root = (name: string, dependsOn: string[] = []): Deployment => ({
  name,
  region: name,
  role: name,
  dependsOn,
  sha256: "0".repeat(64),
  modules: {},
});
const ALL = [
  root("global", ["us-east-1", "us-west-2"]),
  root("us-west-2", ["us-east-1"]),
  root("us-east-1"),
];

describe("roots from deployments.json", () => {
  it("orders dependencies first, whatever the file's order", () => {
    expect(applyOrder(ALL).map((d) => d.name)).toEqual(["us-east-1", "us-west-2", "global"]);
    expect(applyOrder([ALL[0]!, ALL[1]!]).map((d) => d.name)).toEqual(["us-west-2", "global"]);
  });

  it("refuses a cycle", () => {
    expect(() => applyOrder([root("a", ["b"]), root("b", ["a"])])).toThrow(/cycle/);
  });

  it("takes the affected roots of this environment only", () => {
    const affected = JSON.stringify({
      deployments: [
        { environment: "staging", name: "us-west-2", region: "us-west-2", role: "secondary" },
        { environment: "prod", name: "us-east-1", region: "us-east-1", role: "primary" },
      ],
    });
    expect(selectDeployments(ALL, "staging", affected).map((d) => d.name)).toEqual(["us-west-2"]);
    expect(selectDeployments(ALL, "staging", "")).toBe(ALL);
    expect(selectDeployments(ALL, "staging", '{"deployments":[]}')).toEqual([]);
  });

  it.each([
    ["{", /input deployments: not JSON/],
    ["[]", /expected \{ "deployments": \[\.\.\.\] \}/],
    ['{"deployments":[{"name":"x"}]}', /each entry needs environment and name/],
    [
      '{"deployments":[{"environment":"staging","name":"eu-west-1"}]}',
      /staging has no root eu-west-1/,
    ],
  ])("says what is wrong with %s", (text, message) => {
    expect(() => selectDeployments(ALL, "staging", text)).toThrow(UserError);
    expect(() => selectDeployments(ALL, "staging", text)).toThrow(message);
  });
});

describe("bad inputs to node dist/index.js", () => {
  const action = fileURLToPath(new URL("../dist/index.js", import.meta.url));
  const run = (env: Record<string, string>) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [action],
        { env: { PATH: process.env.PATH, ...env }, timeout: 30_000 },
        (error, stdout, stderr) =>
          resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      ),
    );

  it.each([
    [
      { INPUT_COMMAND: "deploy", INPUT_ENVIRONMENT: "staging" },
      "::error::input command: `deploy` is not one of plan, apply, drift, unlock",
    ],
    [{ INPUT_COMMAND: "plan" }, "::error::input environment is required"],
    [
      { INPUT_COMMAND: "plan", INPUT_ENVIRONMENT: "staging", INPUT_TOOL: "pulumi" },
      "::error::input tool: `pulumi` is not one of terraform, tofu",
    ],
    [
      { INPUT_COMMAND: "plan", INPUT_ENVIRONMENT: "../etc" },
      "::error::input environment: `../etc` is not an environment name",
    ],
  ])("%j fails the step with one line and no stack", async (env, line) => {
    const result = await run(env);
    expect(result.code).toBe(1);
    expect(result.stdout.trim()).toBe(line);
    expect(result.stderr).toBe("");
  });
});
