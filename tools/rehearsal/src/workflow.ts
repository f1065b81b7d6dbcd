/** What GitHub reads from a workflow file before its jobs run. */
import { readFileSync } from "node:fs";
import { parse } from "yaml";

interface WorkflowFile {
  permissions?: unknown;
  jobs?: Record<string, { permissions?: unknown }>;
}

/**
 * The jobs GitHub gives an OIDC token request URL: those whose permissions (their own, else the
 * workflow's) grant `id-token: write`, or `write-all`.
 */
export function idTokenJobs(file: string): Set<string> {
  const workflow = parse(readFileSync(file, "utf8")) as WorkflowFile;
  const grants = (permissions: unknown) =>
    permissions === "write-all" ||
    (typeof permissions === "object" &&
      permissions !== null &&
      (permissions as Record<string, unknown>)["id-token"] === "write");
  return new Set(
    Object.entries(workflow.jobs ?? {})
      .filter(([, job]) => grants(job.permissions ?? workflow.permissions))
      .map(([id]) => id),
  );
}
