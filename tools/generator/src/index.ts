// The generator as a library (package.json "exports"): what the deploy action and the drill
// call instead of re-deriving what the generator knows.
export { run } from "./cli.ts";
export type { Command, CommandContext, CommandIo } from "./io.ts";
export { EXIT } from "./io.ts";
export { CompositionError, ManifestProblems, UsageError, printable } from "./errors.ts";
export { environmentFiles, findRepositoryRoot } from "./environments.ts";
export {
  formatProblem,
  loadEnvironment,
  loadEnvironments,
  type Environment,
  type Problem,
} from "./manifest/index.ts";
export {
  synthesizeAtRef,
  synthesizeTree,
  type SynthOutput,
  type SynthesizedEnvironment,
} from "./synth.ts";
export { affectedDeployments, type AffectedDeployment } from "./commands/affected.ts";
export { withTreeAt } from "./git.ts";
export { buildModules } from "./modules/build.ts";
export { instanceCounts, UNKNOWN } from "./modules/instances.ts";
export { publishOutput } from "./write.ts";
