// The generator as a library: what the CLI, the deploy action, the drill and the sandbox call
// instead of re-deriving what the generator knows (manifests, order, names, hashes).
export {
  CompositionError,
  HelpRequested,
  ManifestProblems,
  printable,
  quote,
  UsageError,
  type Problem,
} from "./errors.ts";
export { environmentFiles, findRepositoryRoot } from "./environments.ts";
export { describeKind, readRegularFile } from "./files.ts";
export {
  formatProblem,
  loadEnvironment,
  loadEnvironments,
  type Environment,
} from "./manifest/index.ts";
export {
  DEFAULT_TOOLCHAIN,
  DOMAINS,
  manifestSchema,
  type Domain,
  type Manifest,
} from "./manifest/schema.ts";
export {
  bumpInstruction,
  lockFilePath,
  lockForTool,
  lockProblem,
  parseLock,
  providerLock,
  PROVIDER_REGISTRY,
  TOOL_PIN,
  type LockedProvider,
  type ToolName,
} from "./toolchain.ts";
export { MAX_BYTES } from "./manifest/source.ts";
export { rtoBudget, writerRegion, type BudgetTerm, type RtoBudget } from "./manifest/rules.ts";
export { crossRegionNames, STATE_KEY_ALIAS, type CrossRegionNames } from "./compose/names.ts";
export type { Deployment } from "./compose/deployments.ts";
export {
  synthesizeAtRef,
  synthesizeTree,
  type SynthOutput,
  type SynthesizedEnvironment,
} from "./synth.ts";
export { affectedDeployments, type AffectedDeployment } from "./affected.ts";
export { releaseModules, type ReleaseOutcome } from "./release.ts";
export { resolveCommit, withTreeAt } from "./git.ts";
export {
  hashFiles,
  moduleFiles,
  readReleasedModule,
  type ModuleFiles,
} from "./modules/artifact.ts";
export { buildModules, MAX_CACHE_ENTRIES } from "./modules/build.ts";
export { installedPackages, loadModuleSources } from "./modules/load.ts";
export { instanceCounts, UNKNOWN } from "./modules/instances.ts";
export { publishOutput, removeLeftovers, writeNewFolder } from "./write.ts";
export {
  describeStale,
  planWorkflowUpdates,
  workflowEnvironment,
  WorkflowFileError,
  writeFileAtomically,
} from "./workflows/index.ts";
export { manifestReference } from "./docs/manifest-reference.ts";
