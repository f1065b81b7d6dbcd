import type { TerraformModuleJson } from "@tandem/module-kit";
import {
  crossRegionNames,
  loadModuleSources,
  moduleFiles,
  readReleasedModule,
  type Environment,
} from "@tandem/generator";
import type { Role } from "../targets.ts";

/** A CloudWatch metric alarm as a module defines it, with the module's inputs filled in. */
export interface AlarmModel {
  name: string;
  region: string;
  namespace: string;
  metric: string;
  dimensions: Record<string, string>;
  statistic: "Minimum" | "Maximum" | "Average" | "Sum" | "SampleCount";
  comparison: "LessThanThreshold" | "GreaterThanThreshold";
  threshold: number;
  /** Seconds. */
  period: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  missing: "breaching" | "notBreaching" | "ignore" | "missing";
}

export type InsufficientDataStatus = "Healthy" | "Unhealthy" | "LastKnownStatus";

/**
 * How Route 53 decides each region's health, as the pinned dns module defines its checks: by
 * requesting the public `/health` (before dns 2.0.0), or by following a CloudWatch alarm in
 * the region (`CLOUDWATCH_METRIC`).
 */
export type CheckModel =
  | { kind: "endpoint" }
  | { kind: "alarm"; alarmName: string; insufficientData: InsufficientDataStatus };

export interface HealthModel {
  checks: CheckModel;
  /** The alarms of both regions the emulation evaluates: compute's region health, monitoring's peer health. */
  alarms: AlarmModel[];
}

export type ModulePins = Partial<Record<"compute" | "dns" | "monitoring", string>>;

type Block = Record<string, unknown>;
const DOMAINS = ["compute", "dns", "monitoring"] as const;

/** The pinned modules' health checks and alarms; `pins` replaces versions (an older design, in tests). */
export async function healthModel(
  root: string,
  environment: Environment,
  pins: ModulePins = {},
): Promise<HealthModel> {
  const { manifest } = environment;
  const version = (domain: (typeof DOMAINS)[number]) => pins[domain] ?? environment.modules[domain];
  const workspace = DOMAINS.some((d) => version(d) === "workspace");
  const sources = workspace ? await loadModuleSources(root) : undefined;
  const read = (domain: (typeof DOMAINS)[number]): TerraformModuleJson =>
    version(domain) === "workspace"
      ? moduleFiles(sources!, domain).json
      : readReleasedModule(root, `modules/${domain}/releases/${version(domain)}`).json;
  const name = crossRegionNames(manifest).name;
  const regions: Record<Role, string> = manifest.regions;
  const alarms = (["primary", "secondary"] as const).flatMap((role) => {
    const peer = role === "primary" ? regions.secondary : regions.primary;
    const values = {
      "var.name": name,
      "var.role": role,
      "var.peer_region": peer,
      "data.aws_region.current.id": regions[role],
    };
    return [
      alarmOf(read("compute"), "region_health", regions[role], values),
      alarmOf(read("monitoring"), "peer_health", regions[role], values),
    ].filter((alarm) => alarm !== undefined);
  });
  return { checks: checkOf(read("dns"), name), alarms };
}

function checkOf(dns: TerraformModuleJson, name: string): CheckModel {
  const check = resource(dns, "aws_route53_health_check", "this");
  if (check?.type !== "CLOUDWATCH_METRIC") return { kind: "endpoint" };
  if (check.cloudwatch_alarm_region !== "${each.value.region}")
    throw new Error("the pinned dns module's health check follows an alarm outside its region");
  return {
    kind: "alarm",
    alarmName: fill(check.cloudwatch_alarm_name, { "var.name": name }),
    insufficientData: check.insufficient_data_health_status as InsufficientDataStatus,
  };
}

function alarmOf(
  json: TerraformModuleJson,
  id: string,
  region: string,
  values: Record<string, string>,
): AlarmModel | undefined {
  const alarm = resource(json, "aws_cloudwatch_metric_alarm", id);
  if (!alarm) return undefined;
  const dimensions = Object.fromEntries(
    Object.entries(alarm.dimensions as Record<string, string>).map(([k, v]) => [
      k,
      fill(v, values),
    ]),
  );
  return {
    name: fill(alarm.alarm_name, values),
    region,
    namespace: String(alarm.namespace),
    metric: String(alarm.metric_name),
    dimensions,
    statistic: alarm.statistic as AlarmModel["statistic"],
    comparison: alarm.comparison_operator as AlarmModel["comparison"],
    threshold: Number(alarm.threshold),
    period: Number(alarm.period),
    evaluationPeriods: Number(alarm.evaluation_periods),
    datapointsToAlarm: Number(alarm.datapoints_to_alarm ?? alarm.evaluation_periods),
    missing: (alarm.treat_missing_data ?? "missing") as AlarmModel["missing"],
  };
}

const resource = (json: TerraformModuleJson, type: string, name: string): Block | undefined =>
  (json.resource as Record<string, Record<string, Block>> | undefined)?.[type]?.[name];

/** A name as the module writes it, its inputs filled in; anything left means the drill must not guess. */
function fill(template: unknown, values: Record<string, string>): string {
  const text = String(template).replace(
    /\$\{([a-z_.]+)\}/g,
    (whole, key: string) => values[key] ?? whole,
  );
  if (text.includes("${"))
    throw new Error(
      `the pinned module names an alarm \`${String(template)}\`, which the emulation cannot resolve`,
    );
  return text;
}
