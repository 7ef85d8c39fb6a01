/** One sample of the Prometheus text exposition format. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Scrape {
  readonly samples: readonly Sample[];
  /** `# TYPE` of each metric family. */
  readonly types: ReadonlyMap<string, string>;
  /** The value of the one sample with this name and exactly these labels (missing labels count as ""). */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** The sum over every sample of this name whose labels include these. */
  sum(name: string, labels?: Record<string, string>): number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses /metrics text; throws on a line it does not understand, so that a malformed export fails tests. */
export function parseScrape(text: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name!, type!);
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(LABEL)) {
      labels[key!] = raw!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    // Prometheus parses values as Go's ParseFloat does: NaN and Inf in any case (prom-client writes "Nan").
    const text = match[3]!.toLowerCase();
    const value = text === 'nan' ? NaN : text === '+inf' || text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text);
    if (Number.isNaN(value) && text !== 'nan') throw new Error(`bad value in ${line}`);
    samples.push({ name: match[1]!, labels, value });
  }
  const matches = (sample: Sample, labels: Record<string, string>, exact: boolean) => {
    const wanted = Object.entries(labels).filter(([, v]) => !exact || v !== '');
    if (exact && Object.entries(sample.labels).filter(([, v]) => v !== '').length !== wanted.length) return false;
    return Object.entries(labels).every(([k, v]) => (sample.labels[k] ?? '') === v);
  };
  return {
    samples,
    types,
    value(name, labels = {}) {
      const found = samples.filter((s) => s.name === name && matches(s, labels, true));
      if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
      return found[0]?.value;
    },
    sum(name, labels = {}) {
      return samples.filter((s) => s.name === name && matches(s, labels, false)).reduce((a, s) => a + s.value, 0);
    },
  };
}

/** GET /metrics of an app, parsed. */
export async function scrape(app: { request(path: string): Response | Promise<Response> }): Promise<Scrape> {
  const response = await app.request('/metrics');
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return parseScrape(await response.text());
}
