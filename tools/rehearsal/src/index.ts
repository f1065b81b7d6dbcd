export {
  rehearse,
  type RehearsalReport,
  type RehearseOptions,
  type RunReport,
} from "./rehearse.ts";
export { RehearsalError } from "./errors.ts";
export { SCENARIOS } from "./scenario.ts";
export { actUnavailable, findAct, ACT_VERSION } from "./act.ts";
