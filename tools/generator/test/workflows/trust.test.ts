import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { manifestSchema, type Manifest } from "../../src/manifest/schema.ts";
import { REPO } from "../helpers.ts";
import { workflows } from "./workflow-files.ts";

/**
 * The OIDC subject each job that assumes a role presents, as GitHub forms it: the GitHub
 * environment when the job has one, else `pull_request` for pull-request runs, else the branch
 * (scheduled and dispatched runs, and pushes, are from main). It must be one the bootstrap
 * root's trust policy for that role names, and the policy must name no other.
 */
function subjectsUsed(repository: string, env: string): Map<string, Set<string>> {
  const used = new Map<string, Set<string>>();
  for (const w of workflows())
    for (const job of Object.values(w.jobs))
      for (const step of job.steps.filter((s) => s.uses === "./.github/actions/aws-role")) {
        const environment =
          typeof job.environment === "string"
            ? job.environment.replaceAll("${{ matrix.environment }}", env)
            : undefined;
        const subject = environment
          ? `repo:${repository}:environment:${environment}`
          : "pull_request" in w.on
            ? `repo:${repository}:pull_request`
            : `repo:${repository}:ref:refs/heads/main`;
        const role = `tandem-${env}-${String(step.with!.role)}`;
        used.set(role, (used.get(role) ?? new Set()).add(subject));
      }
  return used;
}

const BOOTSTRAP = join(REPO, "tools", "generator", "src", "compose", "bootstrap.ts");
const present = existsSync(BOOTSTRAP);

describe.skipIf(!present)(
  `role trust agrees with the workflows${present ? "" : " (skipped: the bootstrap root does not exist yet)"}`,
  () => {
    const manifests = ["dev", "staging", "prod"].map((name): Manifest =>
      manifestSchema.parse(parse(readFileSync(join(REPO, "environments", `${name}.yaml`), "utf8"))),
    );

    it("each role trusts exactly the subjects of the jobs that assume it", async () => {
      const { bootstrapRoots } = (await import(pathToFileURL(BOOTSTRAP).href)) as {
        bootstrapRoots: (
          m: Manifest[],
          t: unknown,
        ) => { main: { resource?: Record<string, Record<string, Record<string, unknown>>> } }[];
      };
      const { TOOLCHAIN } = (await import(
        pathToFileURL(join(REPO, "tools/generator/test/helpers.ts")).href
      )) as {
        TOOLCHAIN: unknown;
      };
      const trusted = new Map<string, Set<string>>();
      for (const root of bootstrapRoots(manifests, TOOLCHAIN))
        for (const role of Object.values(root.main.resource?.aws_iam_role ?? {})) {
          const policy = JSON.parse(String(role.assume_role_policy)) as {
            Statement: { Condition: { StringEquals: Record<string, string | string[]> } }[];
          };
          const sub = policy.Statement.flatMap((s) => [
            s.Condition.StringEquals["token.actions.githubusercontent.com:sub"] ?? [],
          ]).flat();
          trusted.set(String(role.name), new Set(sub));
        }
      for (const m of manifests) {
        const used = subjectsUsed(m.github.repository, m.name);
        expect([...used.keys()].sort()).toEqual(
          ["apply", "drill", "plan"].map((kind) => `tandem-${m.name}-${kind}`),
        );
        for (const [role, subjects] of used)
          expect([role, [...(trusted.get(role) ?? [])].sort()]).toEqual([
            role,
            [...subjects].sort(),
          ]);
      }
    });
  },
);
