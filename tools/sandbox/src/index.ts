export {
  DEFAULT_NAME,
  SandboxError,
  motoBinary,
  motoStatus,
  pollUntil,
  sandboxDir,
  startMoto,
  startPrivateMoto,
  stopMoto,
  type MotoServer,
  type PollOptions,
  type PrivateMoto,
} from "./moto.ts";
export {
  prepareSandbox,
  sandboxApply,
  sandboxPlan,
  writeRoots,
  type PreparedSandbox,
  type RootReport,
  type SandboxOptions,
  type SandboxReport,
} from "./sandbox.ts";
export {
  dropSandboxCopy,
  manifestWithAlarmEmail,
  SHARED_ENVIRONMENT,
  sandboxCopy,
  sharedSandbox,
  sharedSandboxName,
  toolInRoot,
  type SandboxCopy,
  type SandboxCopyOptions,
  type SharedSandbox,
} from "./shared.ts";
export {
  findTool,
  providerEnv,
  requireTool,
  sandboxUnavailable,
  TOOLS,
  type Tool,
  type ToolName,
} from "./toolchain.ts";
export { loadKnownGaps, type KnownGap } from "./gaps.ts";
export { lostBy, lostRegions, setOutage } from "./outage.ts";
export {
  runRoot,
  sandboxRoot,
  type RootCommand,
  type RootRun,
  type RootRunOptions,
  type SandboxRootOptions,
} from "./root.ts";
export {
  envVariables,
  ROLE_KINDS,
  sandboxEnv,
  TrustRefused,
  type EnvOptions,
  type RoleCredentials,
  type RoleKind,
} from "./iam/env.ts";
export { startGateway, type Gateway } from "./iam/gateway.ts";
export { privateRoleSession, type PrivateRoleSession } from "./iam/private-role.ts";
export { githubClaims, mintToken, type Claims, type Job } from "./iam/oidc.ts";
