import type { ProviderRequirement } from "@tandem/module-kit";

/** What the composer needs of the kit besides the modules. */
export interface Toolchain {
  readonly requiredVersion: string;
  readonly awsProvider: ProviderRequirement;
}
