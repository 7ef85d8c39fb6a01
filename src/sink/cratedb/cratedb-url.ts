/**
 * `crate://user:password@host:4200/?ssl=true&schema=doc` (the form CrateDB users know) or
 * `http(s)://user:password@host:4200/?schema=doc` → where and how to reach `/_sql`.
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
    schema: params.get('schema') ?? 'doc',
  };
}
