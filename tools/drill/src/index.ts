export { realClock, fastClock, type Clock } from "./clock.ts";
export { runDrill } from "./engine.ts";
export { markdown, type DrillReport } from "./report.ts";
export {
  drillTargets,
  loadDrillEnvironment,
  type DrillTargets,
  type DrillMode,
  type DrillOptions,
} from "./targets.ts";
export { awsWorld, clientsFactory, type DrillWorld } from "./world.ts";
export {
  runSandboxDrill,
  SANDBOX_FAULTS,
  type SandboxDrillOptions,
  type SandboxFault,
} from "./emulation/sandbox.ts";
export { motoBinary } from "@tandem/sandbox";
