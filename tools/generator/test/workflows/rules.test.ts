import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { REPO } from "../helpers.ts";
import {
  expandedSteps,
  localActions,
  SIX,
  workflow,
  workflows,
  type Job,
  type Step,
} from "./workflow-files.ts";

/** The reviewed permissions of every job: a change here is a change to the trust model. */
const PERMISSIONS: Record<string, Record<string, Record<string, string>>> = {
  "ci.yml": {
    affected: { contents: "read", actions: "read" },
    gate: { contents: "read" },
  },
  "plan.yml": {
    fork: {},
    affected: { contents: "read" },
    plan: { contents: "read", "id-token": "write", "pull-requests": "write" },
  },
  "apply.yml": {
    affected: { contents: "read", deployments: "read" },
    apply: {
      contents: "read",
      "id-token": "write",
      "pull-requests": "write",
      actions: "read",
      deployments: "write",
      issues: "write",
    },
  },
  "drift.yml": {
    select: {},
    drift: { contents: "read", "id-token": "write", issues: "write" },
  },
  "drill.yml": {
    select: {},
    drill: { contents: "read", "id-token": "write" },
    report: { issues: "write" },
  },
  "unlock.yml": {
    unlock: { contents: "read", "id-token": "write", actions: "read" },
  },
  "release.yml": {
    release: { contents: "write", "pull-requests": "write" },
    tag: { contents: "write" },
  },
};

/** Manifests read directly (not through the generator), so the test checks the generator. */
function manifests(): { name: string; drill: { enabled: boolean; schedule: string } }[] {
  const dir = join(REPO, "environments");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => parse(readFileSync(join(dir, f), "utf8")) as ReturnType<typeof manifests>[0]);
}

const uses = (steps: Step[], action: string) => steps.some((s) => s.uses?.startsWith(action));
const deployStep = (job: Job) => job.steps.find((s) => s.uses === "./tools/deploy-action")!;
const runs = (job: Job) =>
  job.steps.flatMap((s) => (s.run === undefined ? [] : [s.run])).join("\n");

describe("every workflow", () => {
  it("the six exist", () => {
    expect(workflows().map((w) => w.file)).toEqual(expect.arrayContaining(SIX));
  });

  it.each(SIX)("%s starts from permissions: {} and grants each job exactly its table", (file) => {
    const w = workflow(file);
    expect(w.permissions).toEqual({});
    const granted = Object.fromEntries(
      Object.entries(w.jobs).map(([name, job]) => [name, job.permissions]),
    );
    expect(granted).toEqual(PERMISSIONS[file]);
  });

  it.each(SIX)("%s never runs on pull_request_target", (file) => {
    const w = workflow(file);
    expect(Object.keys(w.on)).not.toContain("pull_request_target");
    expect(w.text).not.toMatch(/^\s*pull_request_target\s*:/m);
  });

  it("id-token: write exactly where OIDC credentials are configured", () => {
    for (const w of workflows())
      for (const [name, job] of Object.entries(w.jobs)) {
        const oidc = uses(expandedSteps(job), "aws-actions/configure-aws-credentials@");
        const perms = job.permissions as Record<string, string>;
        expect([`${w.file}#${name}`, perms["id-token"]]).toEqual([
          `${w.file}#${name}`,
          oidc ? "write" : undefined,
        ]);
      }
  });

  it("contents only where the job checks out the repository", () => {
    for (const w of workflows())
      for (const [name, job] of Object.entries(w.jobs)) {
        const checkout = uses(job.steps, "actions/checkout@");
        const perms = job.permissions as Record<string, string>;
        expect([`${w.file}#${name}`, checkout]).toEqual([
          `${w.file}#${name}`,
          perms.contents !== undefined,
        ]);
      }
  });

  it("pull-requests: write only where a comment or the release pull request is written", () => {
    const writers = workflows().flatMap((w) =>
      Object.entries(w.jobs)
        .filter(([, job]) => (job.permissions as Record<string, string>)["pull-requests"])
        .map(([name]) => `${w.file}#${name}`),
    );
    expect(writers.sort()).toEqual(["apply.yml#apply", "plan.yml#plan", "release.yml#release"]);
  });

  it("no secret reaches a job that runs on pull_request (OIDC only)", () => {
    for (const w of workflows().filter((w) => "pull_request" in w.on))
      for (const [name, job] of Object.entries(w.jobs)) {
        const text =
          stringify(job) +
          expandedSteps(job)
            .map((s) => stringify(s))
            .join("");
        expect([`${w.file}#${name}`, text]).not.toEqual([
          `${w.file}#${name}`,
          expect.stringMatching(/secrets\./),
        ]);
      }
  });
});

describe("Node 24", () => {
  it("every node-version in the workflows and the setup action is 24; the deploy action runs on node24", () => {
    const texts = [
      ...workflows().map((w) => w.text),
      ...[...localActions().values()].map((a) => a.text),
    ].join("\n");
    const versions = [...texts.matchAll(/node-version:\s*(\S+)/g)].map((m) => m[1]);
    expect(versions.length).toBeGreaterThan(1);
    expect(new Set(versions)).toEqual(new Set(["24"]));
    const action = readFileSync(join(REPO, "tools", "deploy-action", "action.yml"), "utf8");
    expect(action).toMatch(/^\s+using: node24$/m);
    expect(readFileSync(join(REPO, "tools", "deploy-action", "build.mjs"), "utf8")).toContain(
      'target: "node24"',
    );
  });
});

describe("pinned actions", () => {
  const unverified = parse(readFileSync(join(REPO, ".github", "unverified-pins.yaml"), "utf8")) as {
    action: string;
    ref: string;
    reason: string;
  }[];
  const texts = [
    ...workflows().map((w) => [w.file, w.text] as const),
    ...[...localActions()].map(([path, { text }]) => [path, text] as const),
  ];
  const lines = texts.flatMap(([file, text]) =>
    text
      .split("\n")
      .map((line) => /^\s*-?\s*uses:\s*(\S+)(.*)$/.exec(line))
      .filter((m) => m !== null)
      .filter((m) => !m[1]!.startsWith("./"))
      .map((m) => ({ file, ref: m[1]!, rest: m[2]!.trim() })),
  );

  it("every third-party action is a full commit SHA with its release tag, or listed with a reason", () => {
    expect(lines.length).toBeGreaterThan(10);
    for (const { file, ref, rest } of lines) {
      const [action, version] = ref.split("@") as [string, string];
      const listed = unverified.find((u) => u.action === action && u.ref === version);
      if (listed) {
        expect(listed.reason.length).toBeGreaterThan(40);
        continue;
      }
      expect([file, ref]).toEqual([
        file,
        expect.stringMatching(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/),
      ]);
      expect([file, ref, rest]).toEqual([file, ref, expect.stringMatching(/^# v\d+\.\d+\.\d+\b/)]);
    }
  });

  it("one action, one commit, everywhere", () => {
    const byAction = new Map<string, Set<string>>();
    for (const { ref } of lines) {
      const [action, version] = ref.split("@") as [string, string];
      byAction.set(action, (byAction.get(action) ?? new Set()).add(version));
    }
    for (const [action, versions] of byAction) expect([action, versions.size]).toEqual([action, 1]);
  });

  it("every listed exception is used", () => {
    for (const u of unverified)
      expect(
        lines.some((l) => l.ref === `${u.action}@${u.ref}`),
        u.action,
      ).toBe(true);
  });
});

describe("plan.yml", () => {
  const w = workflow("plan.yml");
  const plan = w.jobs.plan!;

  it("runs on pull_request, and on merge_group so required checks report in a merge queue", () => {
    expect(Object.keys(w.on)).toEqual(["pull_request", "merge_group"]);
    expect(w.jobs.affected!.if).toContain("github.event_name == 'pull_request'");
  });

  it("a newer push cancels the whole older run of the same pull request (workflow level)", () => {
    const concurrency = (
      w as unknown as { concurrency: { group: string; "cancel-in-progress": boolean } }
    ).concurrency;
    expect(concurrency.group).toContain("github.event.pull_request.number");
    expect(concurrency["cancel-in-progress"]).toBe(true);
    expect(plan.concurrency).toBeUndefined();
  });

  it("a fork's pull request is not planned and its check says why and how to proceed", () => {
    const fork = w.jobs.fork!;
    expect(fork.if).toContain("github.event.pull_request.head.repo.full_name != github.repository");
    expect(w.jobs.affected!.if).toContain(
      "github.event.pull_request.head.repo.full_name == github.repository",
    );
    expect(runs(fork)).toMatch(
      /::error title=Not planned \(fork\)::.*push the branch to this repository/,
    );
    expect(fork.steps.some((s) => s.uses)).toBe(false);
  });

  it("plans the affected environments, by the merge base, with the plan role", () => {
    expect(runs(w.jobs.affected!)).toMatch(/git merge-base "\$BASE_SHA" HEAD/);
    expect(runs(w.jobs.affected!)).toMatch(/tandem affected --base "\$base" --json/);
    expect(plan.strategy!.matrix!.environment).toBe(
      "${{ fromJSON(needs.affected.outputs.environments) }}",
    );
    expect(plan.steps.find((s) => s.uses === "./.github/actions/aws-role")!.with!.role).toBe(
      "plan",
    );
    expect(deployStep(plan).with!.command).toBe("plan");
  });
});

describe("apply.yml", () => {
  const w = workflow("apply.yml");
  const apply = w.jobs.apply!;

  it("runs on push to main, and on dispatch with an environment, a commit and an approved change set", () => {
    expect(w.on.push).toEqual({ branches: ["main"] });
    const inputs = (
      w.on.workflow_dispatch as {
        inputs: Record<string, { required?: boolean; options?: string[] }>;
      }
    ).inputs;
    expect(Object.keys(inputs)).toEqual(["environment", "commit", "change-set-sha256"]);
    expect(inputs.environment!.options).toEqual(manifests().map((m) => m.name));
    expect(deployStep(apply).with!.commit).toBe("${{ inputs.commit || github.sha }}");
    expect(deployStep(apply).with!["change-set-sha256"]).toBe("${{ inputs.change-set-sha256 }}");
    expect(runs(apply)).toContain('git merge-base --is-ancestor "$COMMIT" origin/main');
  });

  it("applies inside the GitHub environment of the same name, with the apply role", () => {
    expect(apply.environment).toBe("${{ matrix.environment }}");
    expect(apply.steps.find((s) => s.uses === "./.github/actions/aws-role")!.with!.role).toBe(
      "apply",
    );
    expect(deployStep(apply).with!.command).toBe("apply");
  });

  it("queues per environment, never cancels, and one environment's failure stops no other", () => {
    expect(apply.concurrency).toEqual({
      group: "apply-${{ matrix.environment }}",
      "cancel-in-progress": false,
    });
    expect(apply.strategy!["fail-fast"]).toBe(false);
  });

  it("takes what changed since each environment's last successful apply, never event.before", () => {
    const text = runs(w.jobs.affected!);
    expect(text).toContain("deployments?environment=$env&task=tandem:apply");
    expect(text).toContain('npx tandem affected --base "$base" --json');
    expect(w.text).not.toMatch(/\$\{\{\s*github\.event\.before/);
    const checkout = apply.steps.find((s) => s.uses?.startsWith("actions/checkout@"))!;
    expect(checkout.with!["fetch-depth"]).toBe(0);
    expect(deployStep(apply).with!["session-seconds"]).toBe("14400");
  });
});

describe("unlock.yml", () => {
  const w = workflow("unlock.yml");
  it("is dispatched for one environment and unlocks inside its GitHub environment with the apply role", () => {
    const inputs = (w.on.workflow_dispatch as { inputs: { environment: { options: string[] } } })
      .inputs;
    expect(Object.keys(w.on)).toEqual(["workflow_dispatch"]);
    expect(inputs.environment.options).toEqual(manifests().map((m) => m.name));
    const job = w.jobs.unlock!;
    expect(job.environment).toBe("${{ matrix.environment }}");
    expect(job.steps.find((s) => s.uses === "./.github/actions/aws-role")!.with!.role).toBe(
      "apply",
    );
    expect(deployStep(job).with!.command).toBe("unlock");
  });
});

describe("drift.yml", () => {
  const w = workflow("drift.yml");

  it("runs daily and on demand", () => {
    const [schedule] = w.on.schedule as { cron: string }[];
    expect((w.on.schedule as unknown[]).length).toBe(1);
    expect(schedule!.cron.split(" ").slice(2)).toEqual(["*", "*", "*"]);
    expect(w.on).toHaveProperty("workflow_dispatch");
  });

  it("offers every environment on demand and checks each with the drift command", () => {
    const input = (w.on.workflow_dispatch as { inputs: { environment: { options: string[] } } })
      .inputs.environment;
    expect(input.options).toEqual(["all", ...manifests().map((m) => m.name)]);
    expect(deployStep(w.jobs.drift!).with!.command).toBe("drift");
    expect(w.jobs.drift!.strategy!["fail-fast"]).toBe(false);
  });
});

describe("drill.yml", () => {
  const w = workflow("drill.yml");
  const scheduled = manifests().filter((m) => m.drill.enabled);

  it("has one cron line per manifest drill.schedule, naming its environments", () => {
    const crons = (w.on.schedule as { cron: string }[]).map((s) => s.cron);
    expect(new Set(crons)).toEqual(new Set(scheduled.map((m) => m.drill.schedule)));
    expect(crons.length).toBe(new Set(crons).size);
    for (const m of scheduled)
      expect(w.text).toMatch(
        new RegExp(`- cron: "${m.drill.schedule.replaceAll("*", "\\*")}" # .*\\b${m.name}\\b`),
      );
  });

  it("maps each cron to exactly the environments scheduled at it", () => {
    const map = JSON.parse(w.env!.TANDEM_DRILL_SCHEDULES!) as Record<string, string[]>;
    const expected: Record<string, string[]> = {};
    for (const m of scheduled) (expected[m.drill.schedule] ??= []).push(m.name);
    expect(map).toEqual(expected);
  });

  it("runs on demand for an environment and a mode", () => {
    const inputs = (
      w.on.workflow_dispatch as {
        inputs: Record<string, { type: string; options?: string[]; default?: unknown }>;
      }
    ).inputs;
    expect(inputs.environment!.type).toBe("choice");
    expect(inputs.environment!.options).toEqual(manifests().map((m) => m.name));
    expect(inputs.mode!.options).toEqual(["switchover", "failover"]);
    expect(inputs.mode!.default).toBe("switchover");
  });

  it("drills with the drill role and reports to the job summary", () => {
    const drill = w.jobs.drill!;
    expect(drill.steps.find((s) => s.uses === "./.github/actions/aws-role")!.with!.role).toBe(
      "drill",
    );
    expect(runs(drill)).toContain('npx tandem drill "${args[@]}"');
    expect(runs(drill)).toContain('--summary "$GITHUB_STEP_SUMMARY"');
    expect(drill.concurrency!["cancel-in-progress"]).toBe(false);
  });

  it("takes the bearer token's issuer from the CLI, never from YAML parsed in the workflow", () => {
    const text = runs(w.jobs.drill!);
    expect(text).toContain('issuer="$(npx tandem drill --env "$ENVIRONMENT" --issuer)"');
    expect(text).not.toMatch(/node --input-type|from "yaml"/);
  });

  it("opens or updates one issue per environment from a job that can do nothing else", () => {
    const report = w.jobs.report!;
    expect(report.if).toContain("always()");
    const script = String(
      report.steps.find((s) => s.uses?.startsWith("actions/github-script@"))!.with!.script,
    );
    expect(script).toContain("issues.create(");
    expect(script).toContain("issues.update(");
    expect(script).toContain("<!-- tandem:drill environment=${env} -->");
    expect(script).toContain('issue.user?.login === "github-actions[bot]"');
  });
});

describe("release.yml", () => {
  const w = workflow("release.yml");
  it("versions, snapshots and documents the chosen modules as a pull request; changelogs are hand-written", () => {
    const release = w.jobs.release!;
    const text = runs(release);
    expect(Object.keys(w.on)).toContain("workflow_dispatch");
    for (const command of ["nx release version", "tandem release", "tandem docs"])
      expect(text).toContain(command);
    expect(text).not.toContain("nx release changelog");
    expect(text.indexOf("nx release version")).toBeLessThan(text.indexOf("tandem release"));
    expect(uses(release.steps, "peter-evans/create-pull-request@")).toBe(true);
  });
  it("tags <domain>@<version> on main once the release folder is merged", () => {
    expect(w.on.push).toEqual({ branches: ["main"], paths: ["modules/*/releases/**"] });
    expect(runs(w.jobs.tag!)).toContain('tag="$domain@$version"');
  });
});

describe("ci.yml", () => {
  const w = workflow("ci.yml");
  it("keeps .ci/run as the gate and adds the focused checks", () => {
    expect(Object.keys(w.on).sort()).toEqual(["merge_group", "pull_request", "push"]);
    expect(runs(w.jobs.gate!)).toBe("bash .ci/run");
    const text = runs(w.jobs.affected!);
    for (const command of [
      "npx nx affected -t typecheck lint test synth",
      "npx tandem validate",
      "npx tandem workflows --check",
      ".tools/bin/actionlint",
      "git diff --exit-code",
    ])
      expect(text).toContain(command);
    expect(uses(w.jobs.affected!.steps, "nrwl/nx-set-shas@")).toBe(true);
  });
});

/** The first jobs' shell scripts, run with bash and jq as the runner would. */
const haveJq = spawnSync("jq", ["--version"]).status === 0;
describe.skipIf(!haveJq)(
  `environment selection scripts, run locally${haveJq ? "" : " (skipped: jq is not installed)"}`,
  () => {
    function pick(file: string, env: Record<string, string>): { code: number; out: string } {
      const w = workflow(file);
      const step = w.jobs.select!.steps.find((s) => s.id === "pick")!;
      const dir = mkdtempSync(join(tmpdir(), "tandem-pick-"));
      try {
        const output = join(dir, "out");
        const result = spawnSync("bash", ["-e", "-c", `touch "$GITHUB_OUTPUT"\n${step.run!}`], {
          env: { PATH: process.env.PATH, ...w.env, ...env, GITHUB_OUTPUT: output },
          encoding: "utf8",
        });
        const out = result.status === 0 ? readFileSync(output, "utf8") : result.stderr;
        return { code: result.status ?? -1, out };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }

    it("a scheduled drill picks the environments of the cron that fired", () => {
      for (const m of manifests().filter((m) => m.drill.enabled)) {
        const { code, out } = pick("drill.yml", { EVENT: "schedule", SCHEDULE: m.drill.schedule });
        expect(code).toBe(0);
        expect(JSON.parse(/^environments=(.*)$/m.exec(out)![1]!)).toContain(m.name);
        expect(out).toMatch(/^mode=$/m);
      }
      const unknown = pick("drill.yml", { EVENT: "schedule", SCHEDULE: "1 2 3 4 5" });
      expect(unknown.code).not.toBe(0);
      expect(unknown.out).toContain("no environment drills at 1 2 3 4 5");
    });

    it("a dispatched drill picks the chosen environment and mode", () => {
      const { out } = pick("drill.yml", {
        EVENT: "workflow_dispatch",
        CHOSEN: "staging",
        MODE: "switchover",
        DRY_RUN: "true",
      });
      expect(out).toBe('environments=["staging"]\nmode=switchover\ndry-run=true\n');
    });

    it("drift picks all environments, or the one asked for", () => {
      const all = manifests().map((m) => m.name);
      expect(pick("drift.yml", { CHOSEN: "all" }).out).toBe(
        `environments=${JSON.stringify(all)}\n`,
      );
      expect(pick("drift.yml", { CHOSEN: "prod" }).out).toBe('environments=["prod"]\n');
      expect(pick("drift.yml", { CHOSEN: "nope" }).code).not.toBe(0);
    });
  },
);

it("git sees the workflows as committed text files", () => {
  const listed = execFileSync("git", ["ls-files", ".github/workflows"], {
    cwd: REPO,
    encoding: "utf8",
  });
  for (const file of SIX) expect(listed).toContain(`.github/workflows/${file}`);
});
