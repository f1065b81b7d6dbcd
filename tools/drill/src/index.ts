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
  DRILL_WORLD_VARIABLE,
  servedWorld,
  serveWorld,
  type WorldDescription,
} from "./served-world.ts";
export {
  checkPosture,
  postureMarkdown,
  type PostureFinding,
  type PostureReport,
} from "./posture.ts";
export {
  runSandboxDrill,
  startEmulation,
  SANDBOX_FAULTS,
  type SandboxEmulation,
  type SandboxDrillOptions,
  type SandboxFault,
} from "./emulation/sandbox.ts";
export { redirectConsole } from "./emulation/console.ts";
export { motoBinary } from "@tandem/sandbox";
