/** act's JSON log, as act 0.2.89 wrote it for plan.yml's affected job here, read into jobs and steps. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { actArguments, ActLog, failedStep } from "../src/act.ts";

const recorded = readFileSync(
  new URL("./fixtures/act-affected.jsonl", import.meta.url),
  "utf8",
).split("\n");

describe("act's log", () => {
  it("gives each job its result, its top-level steps and their logs", () => {
    const progress: string[] = [];
    const log = new ActLog((line) => progress.push(line));
    recorded.forEach((line) => log.line(line));
    const { jobs, messages } = log.result();
    expect(messages).toEqual([]);
    expect(jobs.map((j) => [j.id, j.name, j.result])).toEqual([
      ["affected", "affected roots", "success"],
    ]);
    const main = jobs[0]!.steps.filter((s) => s.stage === "Main" && !s.id.includes("/"));
    expect(main.map((s) => [s.id, s.result])).toEqual([
      ["0", "success"],
      ["1", "success"],
      ["affected", "success"],
    ]);
    expect(main[1]!.seconds).toBeCloseTo(205, 0);
    expect(main[2]!.log).toContain("staging/us-west-2");
    expect(progress.at(-1)).toMatch(/^affected roots: success \(/);
  });

  it("finds the innermost failed step with its log, and keeps what act says outside a job", () => {
    const log = new ActLog();
    const entry = (fields: object) =>
      log.line(
        JSON.stringify({ job: "plan/plan staging", jobID: "plan", stage: "Main", ...fields }),
      );
    entry({ step: "./tools/deploy-action", stepID: ["3"], msg: "⭐ Run" });
    entry({
      step: "./tools/deploy-action",
      stepID: ["3"],
      raw_output: true,
      msg: "Error: no such output\n",
    });
    entry({
      step: "./tools/deploy-action",
      stepID: ["3"],
      stepResult: "failure",
      executionTime: 2_500_000_000,
    });
    entry({ jobResult: "failure" });
    log.line("not json from act");
    const { jobs, messages } = log.result();
    const step = failedStep(jobs[0]!);
    expect(step).toMatchObject({
      id: "3",
      result: "failure",
      seconds: 2.5,
      log: ["Error: no such output"],
    });
    expect(messages).toEqual(["not json from act"]);
  });

  it("runs on the host with the stand-ins, without act's artifact or cache server", () => {
    const args = actArguments({
      act: "act",
      workdir: "/w",
      workflow: ".github/workflows/plan.yml",
      event: "pull_request",
      eventFile: "/e.json",
      env: { A: "1" },
      vars: { TANDEM_TOOL: "terraform" },
      secrets: { GITHUB_TOKEN: "t" },
      localRepositories: { "actions/checkout@abc": "/s/actions/checkout" },
      cacheDir: "/c",
      processEnv: {},
      timeoutMs: 1,
      logFile: "/l",
    });
    expect(args[0]).toBe("pull_request");
    expect(args.join(" ")).toContain("--platform ubuntu-latest=-self-hosted");
    expect(args.join(" ")).toContain("--local-repository actions/checkout@abc=/s/actions/checkout");
    expect(args).not.toContain("--artifact-server-path");
    expect(args).toContain("--no-cache-server");
  });
});
