/** The plan job's phases, from act's steps and the deploy action's own per-root times. */
import { describe, expect, it } from "vitest";
import type { JobResult, StepResult } from "../src/act.ts";
import { planLatency } from "../src/latency.ts";

const step = (id: string, name: string, seconds: number, log: string[] = []): StepResult => ({
  id,
  name,
  stage: "Main",
  result: "success",
  seconds,
  log,
});

const affected: JobResult = {
  id: "affected",
  name: "affected roots",
  result: "success",
  seconds: 71.5,
  steps: [step("0", "actions/checkout@08c6", 1)],
};
const plan: JobResult = {
  id: "plan",
  name: "plan staging",
  result: "success",
  seconds: 140,
  steps: [
    step("0", "actions/checkout@08c6", 1),
    step("1", "./.github/actions/setup", 60.2),
    step("1/0", "npm ci", 55),
    step("2", 'roots="$(jq -c --arg e "$ENVIRONMENT"', 6.1),
    step("3", "./.github/actions/aws-role", 1.5),
    step("4", "./tools/deploy-action", 50, [
      "staging/us-east-1: has changes (21500 ms, 0 provider(s) fetched into the plugin cache)",
      "staging/us-west-2: has changes (38250 ms)",
      "created comment 101 on #1 (5120 characters)",
    ]),
  ],
};

describe("the plan job's latency", () => {
  it("splits the job into setup, synth, OIDC and the action, and the slowest root's plan alone", () => {
    expect(planLatency([affected, plan])).toEqual({
      affectedSeconds: 71.5,
      setupSeconds: 60.2,
      synthSeconds: 6.1,
      oidcSeconds: 1.5,
      deployActionSeconds: 50,
      slowestRoot: { name: "us-west-2", seconds: 38.3 },
      deployActionRestSeconds: 11.7,
    });
  });

  it("is absent for a run without the deploy action", () => {
    expect(planLatency([affected])).toBeUndefined();
  });
});
