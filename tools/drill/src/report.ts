import type { DrillMode, DrillOptions, DrillTargets } from "./targets.ts";

export interface StepRecord {
  name: string;
  startedAt: string;
  seconds: number;
  ok: boolean;
  detail: string[];
}

export interface Measured {
  trafficRtoSeconds: number | null;
  detectionSeconds: number | null;
  databaseSwitchoverSeconds: number | null;
  rpoSeconds: number | null;
  /** Failover only: the lost region back to its cluster rejoined as a secondary and its check healthy. */
  recoverySeconds: number | null;
  failbackSeconds: number | null;
}

/** Failover only: who wrote once the region was back, and the payments the survivor lacked. */
export interface FailoverOutcome {
  /** The region whose cluster wrote when the lost region returned (null: it did not return). */
  writerWhenRegionReturned: string | null;
  /** Payments the lost region acknowledged before it was lost. */
  acknowledged: number;
  /** Idempotency-Keys acknowledged in the lost region and missing in the survivor at failover. */
  missingAtFailover: string[];
  /** How many of those the survivor held once the region was back (null: not seen yet). */
  arrivedAfterRecovery: number | null;
}

export interface Check {
  figure: keyof Measured;
  measured: number | null;
  against: string;
  limitSeconds: number;
  pass: boolean;
}

export interface BudgetLine {
  label: string;
  key: string;
  seconds: number;
  /** The measured figure this term stands for, when the drill measures one. */
  measured: number | null;
  explanation: string;
}

export interface DrillReport {
  environment: string;
  mode: DrillMode;
  dryRun: boolean;
  where: string;
  passed: boolean;
  startedAt: string;
  steps: StepRecord[];
  plannedSteps: string[];
  measured: Measured;
  objectives: { rtoSeconds: number; rpoSeconds: number };
  budgetSeconds: number;
  budget: BudgetLine[];
  checks: Check[];
  failover?: FailoverOutcome;
  failure?: { step: string; message: string };
  rollback?: { actions: string[]; ok: boolean };
  finalState?: Record<string, string>;
  notes: string[];
}

const PREFLIGHT_STEPS = [
  "preflight: both /health 200, both health checks healthy, global cluster available, replication lag under the RPO, no other drill",
  "canaries: payments through the failover name",
];

export const PLANNED_STEPS: Record<DrillMode, string[]> = {
  switchover: [
    ...PREFLIGHT_STEPS,
    "take the primary out: set the drill flag; wait for the health check and the name to move",
    "move the database: switch the global cluster over to the secondary",
    "verify: canaries in the secondary, new payments there, an Idempotency-Key replay",
    "fail back: switch over again, clear the flag, wait for the primary",
    "report",
  ],
  failover: [
    ...PREFLIGHT_STEPS,
    "lose the primary: mid-traffic, the primary's region is lost (on AWS the drill flag stands in); wait for the health check and the name to move",
    "fail the database over: FailoverGlobalCluster with AllowDataLoss to the secondary, asked in the secondary's region",
    "verify: which acknowledged payments the secondary lacks (RPO), new payments there, an Idempotency-Key replay",
    "recover: the region returns; the old primary rejoins as a secondary, its health check healthy",
    "fail back: switch over to the primary, a payment written there",
    "report",
  ],
};

interface Inputs {
  targets: DrillTargets;
  /** Seconds from the flag to the failover name answering from the secondary. */
  nameMovedSeconds: number | null;
  options: DrillOptions;
  startedAt: string;
  steps: StepRecord[];
  measured: Measured;
  notes: string[];
  failover?: FailoverOutcome;
  failure?: { step: string; message: string };
  rollback?: { actions: string[]; ok: boolean };
  finalState?: Record<string, string>;
}

function checks(targets: DrillTargets, measured: Measured, mode: DrillMode): Check[] {
  const { rtoSeconds, rpoSeconds } = targets.objectives;
  const { budget } = targets;
  const list: Omit<Check, "pass">[] = [
    {
      figure: "trafficRtoSeconds",
      measured: measured.trafficRtoSeconds,
      against: "objectives.rto",
      limitSeconds: rtoSeconds,
    },
    {
      figure: "databaseSwitchoverSeconds",
      measured: measured.databaseSwitchoverSeconds,
      against: "database.promotionAllowance",
      limitSeconds: budget.databaseSeconds,
    },
    {
      figure: "rpoSeconds",
      measured: measured.rpoSeconds,
      against: "objectives.rpo",
      limitSeconds: rpoSeconds,
    },
    // No manifest key bounds recovery: the environment has no standby until it ends, so the
    // drill holds it to the RTO, as it does fail back.
    ...(mode === "failover"
      ? [
          {
            figure: "recoverySeconds" as const,
            measured: measured.recoverySeconds,
            against: "objectives.rto",
            limitSeconds: rtoSeconds,
          },
        ]
      : []),
    {
      figure: "failbackSeconds",
      measured: measured.failbackSeconds,
      against: "objectives.rto",
      limitSeconds: rtoSeconds,
    },
  ];
  return list.map((c) => ({ ...c, pass: c.measured !== null && c.measured <= c.limitSeconds }));
}

const round = (n: number) => Math.round(n * 10) / 10;

/** Each budget term beside the figure the drill measured for it, and why they differ. */
function budgetLines(
  targets: DrillTargets,
  measured: Measured,
  nameMovedSeconds: number | null,
  mode: DrillMode,
): BudgetLine[] {
  const cut = mode === "failover" ? "the loss" : "the flag";
  const { interval, failureThreshold } = targets.healthCheck;
  const {
    detectionSeconds: detection,
    databaseSwitchoverSeconds: database,
    trafficRtoSeconds: traffic,
  } = measured;
  return targets.budget.terms.map((term) => {
    const key = term.key ?? "";
    const line = (m: number | null, explanation: string): BudgetLine => ({
      label: term.label,
      key: key || "AWS",
      seconds: term.seconds,
      measured: m === null ? null : round(m),
      explanation: m === null ? "not measured" : explanation,
    });
    if (key.startsWith("dns.healthCheck"))
      return line(
        detection,
        `${cut} to Route 53 calling the check unhealthy: each checker needs ${failureThreshold} failures ${interval} s apart on its own schedule, so the last one decides between ${(failureThreshold - 1) * interval} and ${failureThreshold * interval} s after ${cut}, plus the drill's polling`,
      );
    if (key === "modules.dns")
      return line(
        detection,
        `${cut} to Route 53 calling the check unhealthy: the region check publishes its verdict once a minute, the region-health alarm fires after its periods of failure or silence, and the checkers then read the alarm, plus the drill's polling`,
      );
    if (key.startsWith("database."))
      return line(
        database === null || traffic === null ? null : Math.max(0, database - traffic),
        `the part of the ${mode} (${database === null ? "?" : round(database)} s) beyond the traffic switch: payments are written to the DynamoDB global table in either region, so they do not wait for Aurora`,
      );
    return line(
      nameMovedSeconds === null || detection === null ? null : nameMovedSeconds - detection,
      "the check turning unhealthy to the failover name answering from the secondary for this client: its resolver's cached answer expiring, at most the TTL",
    );
  });
}

function trafficNote(targets: DrillTargets, measured: Measured): string | undefined {
  const { trafficRtoSeconds: rto } = measured;
  if (rto === null) return undefined;
  const { trafficSeconds, total } = targets.budget;
  const diff = round(rto - trafficSeconds);
  return `traffic RTO ${round(rto)} s against the budget's ${trafficSeconds} s on the payment path (${total} s in all): ${
    diff <= 0
      ? `${-diff} s under it, because checkers probe on their own schedules (the deciding failure can come up to one interval early) and a cached answer may be younger than the TTL when the check turns`
      : `${diff} s over it: the client's own payment interval and request time come on top of detection and the TTL, so the budget is a lower bound`
  }`;
}

export function assess(inputs: Inputs): DrillReport {
  const { targets, options, measured } = inputs;
  const list = options.dryRun ? [] : checks(targets, measured, options.mode);
  const stepsOk = inputs.steps.every((s) => s.ok) && !inputs.failure;
  const note = trafficNote(targets, measured);
  return {
    environment: targets.environment,
    mode: options.mode,
    dryRun: options.dryRun,
    where: options.where ?? "AWS",
    passed: stepsOk && list.every((c) => c.pass),
    startedAt: inputs.startedAt,
    steps: inputs.steps,
    plannedSteps: PLANNED_STEPS[options.mode],
    measured,
    objectives: targets.objectives,
    budgetSeconds: targets.budget.total,
    budget: budgetLines(targets, measured, inputs.nameMovedSeconds, options.mode),
    checks: list,
    ...(inputs.failover ? { failover: inputs.failover } : {}),
    ...(inputs.failure ? { failure: inputs.failure } : {}),
    ...(inputs.rollback ? { rollback: inputs.rollback } : {}),
    ...(inputs.finalState ? { finalState: inputs.finalState } : {}),
    notes: [...(note ? [note] : []), ...inputs.notes],
  };
}

const seconds = (n: number | null) => (n === null ? "—" : `${round(n)} s`);
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The report as Markdown, for the job summary. */
export function markdown(report: DrillReport): string {
  const verdict = report.dryRun
    ? report.passed
      ? "dry run: preconditions hold"
      : "dry run: preconditions FAIL"
    : report.passed
      ? "passed"
      : "FAILED";
  const lines = [
    `## DR drill: ${report.environment} (${report.mode}) — ${report.passed ? "✅" : "❌"} ${verdict}`,
    "",
    `Started ${report.startedAt} on ${report.where}.`,
    "",
  ];
  if (report.failure) lines.push(...failureLines(report), "");
  lines.push("| Step | Started | Seconds | Result |", "| --- | --- | ---: | --- |");
  for (const s of report.steps)
    lines.push(
      `| ${s.name} | ${s.startedAt} | ${round(s.seconds)} | ${s.ok ? "ok" : "**failed**"}: ${cell(s.detail.join("; "))} |`,
    );
  if (report.dryRun)
    lines.push(
      "",
      "Steps a real run takes:",
      ...report.plannedSteps.map((s, i) => `${i + 1}. ${s}`),
    );
  if (report.checks.length) {
    lines.push(
      "",
      "| Measured | Seconds | Against | Limit | Result |",
      "| --- | ---: | --- | ---: | --- |",
    );
    for (const c of report.checks)
      lines.push(
        `| ${c.figure} | ${seconds(c.measured)} | ${c.against} | ${c.limitSeconds} s | ${c.pass ? "pass" : "**fail**"} |`,
      );
    lines.push(
      "",
      "| Budget term | Seconds | Measured | Why they differ |",
      "| --- | ---: | ---: | --- |",
    );
    for (const b of report.budget)
      lines.push(
        `| ${b.label} (\`${b.key}\`) | ${b.seconds} | ${seconds(b.measured)} | ${cell(b.explanation)} |`,
      );
    lines.push(
      `| **total** (least failover time) | **${report.budgetSeconds}** | traffic RTO ${seconds(report.measured.trafficRtoSeconds)} | |`,
    );
  }
  if (report.failover) lines.push("", ...failoverLines(report.failover));
  if (report.finalState) {
    lines.push("", "State left:", "");
    for (const [what, value] of Object.entries(report.finalState))
      lines.push(`- ${what}: ${value}`);
  }
  if (report.notes.length) lines.push("", ...report.notes.map((n) => `> ${n}`));
  return `${lines.join("\n")}\n`;
}

function failoverLines(lost: FailoverOutcome): string[] {
  const missing = lost.missingAtFailover;
  const writer = lost.writerWhenRegionReturned;
  const arrived =
    lost.arrivedAfterRecovery === null
      ? "the region did not come back during the drill"
      : `${lost.arrivedAfterRecovery} of them reached the survivor once the region was back`;
  return [
    `Payments acknowledged in the lost region: ${lost.acknowledged}; missing in the survivor at failover: ${missing.length}${missing.length ? ` (${missing.map((k) => `\`${k}\``).join(", ")}); ${arrived}` : ""}.`,
    "",
    writer === null
      ? "The lost region did not return during the drill."
      : `When the lost region returned, the database wrote in ${writer}.`,
  ];
}

function failureLines(report: DrillReport): string[] {
  const failure = report.failure!;
  const lines = [`**Step \`${failure.step}\` failed:** ${failure.message}`];
  if (report.rollback) {
    if (!report.rollback.ok)
      lines.push(
        "",
        "> [!CAUTION]",
        "> **ROLLBACK INCOMPLETE: the environment is NOT back to normal. Act on the state below.**",
      );
    lines.push(
      "",
      "Rollback:",
      ...(report.rollback.actions.length
        ? report.rollback.actions.map((a) => `- ${a}`)
        : ["- nothing had changed"]),
    );
  }
  return lines;
}
