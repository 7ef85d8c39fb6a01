/**
 * `crate://user:password@host:4200/?ssl=true&schema=doc` (the form CrateDB users know) or
 * `http(s)://user:password@host:4200/?schema=doc` → where and how to reach `/_sql`. The schema may
 * also be the path, `crate://host:4200/analytics`, as cratedb-toolkit users write it; a table in
 * the path (`/schema/table`) is refused rather than silently dropped.
 */
export interface CrateDbTarget {
  /** `http://host:4200` or `https://host:4200`, no credentials, no path. */
  readonly origin: string;
  readonly username: string;
  readonly password: string;
  readonly schema: string;
}

export function isCrateDbUrl(url: string): boolean {
  return /^(crate|https?):\/\//i.test(url);
}

export function parseCrateDbUrl(url: string): CrateDbTarget {
  const parsed = new URL(url);
  const scheme = parsed.protocol.replace(':', '').toLowerCase();
  const params = parsed.searchParams;
  let protocol: 'http' | 'https';
  if (scheme === 'crate') protocol = params.get('ssl') === 'true' || params.get('sslmode') === 'require' ? 'https' : 'http';
  else if (scheme === 'http' || scheme === 'https') protocol = scheme;
  else throw new Error(`not a CrateDB URL: ${scheme}://`);
  const port = parsed.port || '4200';
  return {
    origin: `${protocol}://${parsed.hostname.includes(':') && !parsed.hostname.startsWith('[') ? `[${parsed.hostname}]` : parsed.hostname}:${port}`,
    username: decodeURIComponent(parsed.username) || 'crate',
    password: decodeURIComponent(parsed.password),
    schema: schemaOf(parsed),
  };
}

/** Why a CrateDB URL cannot be used, for the start-up check; null when it can. */
export function crateDbUrlProblem(url: string): string | null {
  try {
    parseCrateDbUrl(url);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

function schemaOf(parsed: URL): string {
  const segments = parsed.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const param = parsed.searchParams.get('schema');
  if (segments.length > 1) {
    throw new Error(
      `the path names a table (/${segments.join('/')}), which a sink of many DynamoDB tables cannot use: give the schema alone (/${segments[0]} or ?schema=${segments[0]}) and, to send every table to one, TABLE_MAP='*=${segments[1]}'`,
    );
  }
  const [path] = segments;
  if (path !== undefined && param !== null && param !== path) throw new Error(`the path says schema ${path} and ?schema= says ${param}: give one`);
  return path ?? param ?? 'doc';
}
