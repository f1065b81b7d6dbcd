import knownGaps from "../known-gaps.json" with { type: "json" };

/** One entry of known-gaps.json: where moto 5.2.5 differs from AWS, and what the sandbox does. */
export interface KnownGap {
  readonly id: string;
  readonly status: "extended" | "open";
  readonly api: string;
  readonly aws: string;
  readonly moto: string;
  readonly sandbox: string;
  /** Resource types the gap concerns. */
  readonly types: readonly string[];
  /** For an open gap: the only attributes a re-plan may change because of it. */
  readonly replan?: readonly string[];
  /** For an open gap: the only apply error it explains (a regular expression). */
  readonly error?: string;
}

export function loadKnownGaps(): KnownGap[] {
  return knownGaps.gaps as KnownGap[];
}

/** One entry of known-gaps.json's `waits`: a fixed sleep of the provider that no answer shortens. */
export interface ProviderWait {
  readonly id: string;
  /** As measured on the sandbox. */
  readonly seconds: number;
  readonly types: readonly string[];
  /** What the provider does. */
  readonly provider: string;
  /** What moto answers meanwhile. */
  readonly moto: string;
}

export function loadProviderWaits(): ProviderWait[] {
  return knownGaps.waits.list as ProviderWait[];
}

/** The listed fixed wait that explains why `address` took long to apply, if one does. */
export function waitFor(waits: readonly ProviderWait[], address: string): ProviderWait | undefined {
  return waits.find((wait) => wait.types.includes(typeOf(address)));
}

const typeOf = (address: string) => /(?:^|\.)(aws_[a-z0-9_]+)\./.exec(address)?.[1] ?? "";

/**
 * The open gap that explains a re-plan change, if one does: same resource type, and every
 * changed attribute among those the gap lists. Anything more is a real difference.
 */
export function gapForReplan(
  gaps: readonly KnownGap[],
  address: string,
  attributes: readonly string[],
): KnownGap | undefined {
  return gaps.find(
    (gap) =>
      gap.status === "open" &&
      gap.replan !== undefined &&
      gap.types.includes(typeOf(address)) &&
      attributes.length > 0 &&
      attributes.every((attribute) => gap.replan!.includes(attribute)),
  );
}

/**
 * The attributes of a re-plan change of `address` that no open gap of its resource type lists:
 * what is left to explain once every gap of that type is taken into account.
 */
export function unexplainedAttributes(
  gaps: readonly KnownGap[],
  address: string,
  attributes: readonly string[],
): string[] {
  const type = typeOf(address);
  const listed = gaps
    .filter((gap) => gap.status === "open" && gap.types.includes(type))
    .flatMap((gap) => gap.replan ?? []);
  return attributes.filter((attribute) => !listed.includes(attribute));
}

/** The open gap that explains an apply error of `address`, if one does. */
export function gapForError(
  gaps: readonly KnownGap[],
  address: string,
  message: string,
): KnownGap | undefined {
  return gaps.find(
    (gap) =>
      gap.status === "open" &&
      gap.error !== undefined &&
      gap.types.includes(typeOf(address)) &&
      new RegExp(gap.error).test(message),
  );
}

/** Gaps that concern a root because it manages a resource of their types. */
export function gapsUsedBy(gaps: readonly KnownGap[], addresses: readonly string[]): KnownGap[] {
  const types = new Set(addresses.map(typeOf));
  return gaps.filter((gap) => gap.types.some((type) => types.has(type)));
}
