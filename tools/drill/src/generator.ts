/**
 * What the drill takes from the generator's library, in one place: manifests, the names the
 * composer gives cross-region things, the modules as pinned, and the validator's RTO budget.
 */
export { environmentFiles } from "../../generator/src/environments.ts";
export { UsageError, ManifestProblems } from "../../generator/src/errors.ts";
export { crossRegionNames } from "../../generator/src/compose/names.ts";
export { rtoBudget, type RtoBudget } from "../../generator/src/manifest/rules.ts";
export {
  formatProblem,
  loadEnvironment,
  type Environment,
  type Manifest,
} from "../../generator/src/manifest/index.ts";
export { readReleasedModule, moduleFiles } from "../../generator/src/modules/artifact.ts";
export { loadModuleSources } from "../../generator/src/modules/load.ts";
