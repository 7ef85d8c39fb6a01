/** The progress of a command that copies rows (backfill, rematerialize), as one line. */
export interface BarProgress {
  /** Done by the run, including before a resume. */
  readonly done: number;
  /** Done by this process: the rate. */
  readonly doneNow: number;
  /** An estimate of the whole (0: unknown); once passed, the fraction is unknown, not over 100%. */
  readonly estimated: number;
  readonly elapsedMs: number;
  readonly finished: boolean;
  /** `items`, `rows`. */
  readonly unit: string;
}

const BAR_WIDTH = 24;

/** `[#####...] 12,345 / ~50,000 items  1,234 items/s  ETA 0:31`. */
export function progressBar(p: BarProgress): string {
  const rate = perSecond(p.doneNow, p.elapsedMs);
  const known = p.estimated > 0 && p.done <= p.estimated && !p.finished;
  const fraction = p.finished ? 1 : known ? p.done / p.estimated : null;
  const filled = fraction === null ? 0 : Math.round(fraction * BAR_WIDTH);
  const bar = fraction === null ? '?'.repeat(BAR_WIDTH) : '#'.repeat(filled) + '.'.repeat(BAR_WIDTH - filled);
  const total = p.estimated > 0 ? ` / ~${count(p.estimated)}` : '';
  const remaining = known && rate > 0 ? (p.estimated - p.done) / rate : null;
  const eta = fraction === 1 ? 'done' : remaining === null ? 'ETA ?' : `ETA ${duration(remaining)}`;
  return `[${bar}] ${count(p.done)}${total} ${p.unit}  ${count(Math.round(rate))} ${p.unit}/s  ${eta}`;
}

export function perSecond(n: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (n * 1000) / elapsedMs : 0;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** Seconds → `m:ss` or `h:mm:ss`. */
export function duration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
