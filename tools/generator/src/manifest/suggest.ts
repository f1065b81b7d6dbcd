import { closest, distance } from "fastest-levenshtein";

/** The candidate nearest to `input`, if it is near enough to be a plausible typo. */
export function nearest(input: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const lower = input.toLowerCase();
  const sameCase = candidates.find((c) => c.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  const best = closest(input, candidates as string[]);
  return distance(input, best) <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/** `; did you mean `x`?` or "" when nothing is close. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  const match = nearest(input, candidates);
  return match === undefined ? "" : `; did you mean \`${match}\`?`;
}
