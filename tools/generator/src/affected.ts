import type { Deployment } from "./compose/deployments.ts";
import type { SynthesizedEnvironment } from "./synth.ts";

export interface AffectedDeployment {
  environment: string;
  name: string;
  region: string;
  role: Deployment["role"];
}

/**
 * Deployments whose synthesized content (sha256 of the root and the modules it calls) differs
 * between `base` and `head`. Both trees are synthesized by this generator, so only what reaches
 * Terraform counts: comments and docs change nothing.
 */
export function affectedDeployments(
  base: SynthesizedEnvironment[],
  head: SynthesizedEnvironment[],
): AffectedDeployment[] {
  const before = new Map(
    base.flatMap((env) => env.deployments.map((d) => [`${env.name}/${d.name}`, d.sha256])),
  );
  return head.flatMap((env) =>
    env.deployments
      .filter((d) => before.get(`${env.name}/${d.name}`) !== d.sha256)
      .map((d) => ({ environment: env.name, name: d.name, region: d.region, role: d.role })),
  );
}
