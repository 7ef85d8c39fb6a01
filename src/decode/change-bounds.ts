/**
 * How far ahead of the service's clock a change may be dated. A change's own time orders it
 * (last writer wins), so a change dated in 2255 (a forged record, a clock gone wrong upstream)
 * would outrank every real change of its item forever: it is refused (dead-lettered) instead.
 * Computed once per delivery from the clock, then handed to the pure decoders as a value.
 */
export interface ChangeBounds {
  /** The latest change time accepted, in microseconds since the epoch (what `Change.version` holds). */
  readonly latestVersion: number;
  /** How far past the clock that is, for the reason a refused record is given. */
  readonly marginSeconds: number;
}

export function changeBounds(nowMs: number, marginSeconds: number): ChangeBounds {
  return { latestVersion: (nowMs + marginSeconds * 1000) * 1000, marginSeconds };
}

/** Why a change dated `version` (µs) is refused, or null when it is within the bounds. */
export function aheadOfBounds(version: number, bounds: ChangeBounds): string | null {
  if (version <= bounds.latestVersion) return null;
  const date = new Date(version / 1000);
  const when = Number.isNaN(date.getTime()) ? `${version} µs after 1970` : date.toISOString();
  return `dated ${when}, more than ${bounds.marginSeconds} s past this service's clock: not applied (FUTURE_CHANGE_MARGIN_SECONDS sets the margin)`;
}

/** FUTURE_CHANGE_MARGIN_SECONDS when unset: a day. */
export const DEFAULT_FUTURE_MARGIN_SECONDS = 86_400;
