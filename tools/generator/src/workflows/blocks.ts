import type { Environment } from "../manifest/index.ts";

/** What the workflows need to know of one manifest. */
export interface WorkflowEnvironment {
  name: string;
  account: string;
  primary: string;
  secondary: string;
  drill: { enabled: boolean; schedule: string; mode: "switchover" | "failover" };
}

export function workflowEnvironment({ manifest }: Environment): WorkflowEnvironment {
  return {
    name: manifest.name,
    account: manifest.account,
    primary: manifest.regions.primary,
    secondary: manifest.regions.secondary,
    drill: { ...manifest.drill },
  };
}

type BlockContent = (environments: readonly WorkflowEnvironment[]) => string[];

/** A plain scalar where YAML reads it back unchanged, else a double-quoted (JSON) one. */
function scalar(value: string): string {
  return /^[a-z0-9][a-z0-9-]*$/.test(value) &&
    !/^(true|false|null|yes|no|on|off|[0-9]+)$/.test(value)
    ? value
    : JSON.stringify(value);
}

/** `NAME: |` and a JSON object, one entry a line, so a change reads as a one-line diff. */
function jsonVariable(name: string, entries: [string, unknown][]): string[] {
  if (entries.length === 0) return [`${name}: "{}"`];
  const body = entries.map(
    ([key, value], i) =>
      `    ${JSON.stringify(key)}: ${JSON.stringify(value).replaceAll(/([,:])(?=["[{])/g, "$1 ")}${i < entries.length - 1 ? "," : ""}`,
  );
  return [`${name}: |`, "  {", ...body, "  }"];
}

/** env → account and regions: what the jobs build role ARNs and pick STS regions from. */
const environmentMap: BlockContent = (environments) =>
  jsonVariable(
    "TANDEM_ENVIRONMENTS",
    environments.map((e) => [
      e.name,
      { account: e.account, primary: e.primary, secondary: e.secondary },
    ]),
  );

/** Scheduled drills, grouped by cron: two environments on one schedule share one line. */
function drillsBySchedule(environments: readonly WorkflowEnvironment[]): Map<string, string[]> {
  const bySchedule = new Map<string, string[]>();
  for (const e of environments.filter((env) => env.drill.enabled)) {
    bySchedule.set(e.drill.schedule, [...(bySchedule.get(e.drill.schedule) ?? []), e.name]);
  }
  return bySchedule;
}

/** `on.schedule` of drill.yml: one cron line per schedule, with the environments it drills. */
const drillSchedule: BlockContent = (environments) => {
  const bySchedule = drillsBySchedule(environments);
  if (bySchedule.size === 0)
    return ["# no manifest sets drill.enabled: true, so nothing is scheduled"];
  return [
    "schedule:",
    ...[...bySchedule].map(
      ([cron, names]) => `  - cron: ${JSON.stringify(cron)} # ${names.join(", ")}`,
    ),
  ];
};

/** cron → environments, which the first job of drill.yml reads `github.event.schedule` against. */
const drillSchedules: BlockContent = (environments) =>
  jsonVariable("TANDEM_DRILL_SCHEDULES", [...drillsBySchedule(environments)]);

function options(names: string[]): string[] {
  return ["options:", ...names.map((name) => `  - ${scalar(name)}`)];
}

/**
 * The generated blocks each workflow must contain, by file name under .github/workflows/.
 * A file not listed here must contain no marker.
 */
export const WORKFLOW_BLOCKS: Readonly<Record<string, Readonly<Record<string, BlockContent>>>> = {
  "plan.yml": { environments: environmentMap },
  "apply.yml": {
    environments: environmentMap,
    "dispatch-environments": (environments) => options(environments.map((e) => e.name)),
  },
  "unlock.yml": {
    environments: environmentMap,
    "dispatch-environments": (environments) => options(environments.map((e) => e.name)),
  },
  "drift.yml": {
    environments: environmentMap,
    "dispatch-environments": (environments) => options(["all", ...environments.map((e) => e.name)]),
  },
  "drill.yml": {
    "drill-schedule": drillSchedule,
    environments: environmentMap,
    "drill-schedules": drillSchedules,
    "dispatch-environments": (environments) => options(environments.map((e) => e.name)),
  },
};
