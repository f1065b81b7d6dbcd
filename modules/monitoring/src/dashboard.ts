import { Token } from "cdktf";
import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard/index.js";
import { awsContext, type ModuleStack } from "@tandem/module-kit";

/**
 * One dashboard per region, built from the alarms themselves: a status grid, then one graph per
 * alarm (its metric with the threshold line), so the dashboard can never drift from what pages.
 * Dashboards are global to the account, so the name carries role and region and every widget
 * names its region.
 */
export function dashboard(stack: ModuleStack, alarmIds: string[]): CloudwatchDashboard {
  awsContext(stack); // declares data.aws_region.current, read below inside the HCL expression
  const region = "data.aws_region.current.id";
  const alarms = `concat(${alarmIds.map((id) => `aws_cloudwatch_metric_alarm.${id}`).join(", ")})`;
  const status =
    `{ type = "alarm", x = 0, y = 0, width = 24, height = 4, properties = ` +
    `{ title = "Alarms", sortBy = "stateUpdatedTimestamp", alarms = [for a in ${alarms} : a.arn] } }`;
  const graphs =
    `[for i, a in ${alarms} : { type = "metric", x = (i % 2) * 12, y = 4 + floor(i / 2) * 6, ` +
    `width = 12, height = 6, properties = { title = a.alarm_name, region = ${region}, view = "timeSeries", ` +
    `stacked = false, annotations = { alarms = [a.arn] } } }]`;
  return new CloudwatchDashboard(stack, "aws_cloudwatch_dashboard.this", {
    count: Token.asNumber('${var.role == "global" ? 0 : 1}'),
    dashboardName: `\${var.name}-\${var.role}-\${${region}}`,
    dashboardBody: `\${jsonencode({ widgets = concat([${status}], ${graphs}) })}`,
  });
}
