/**
 * Credentials recognised by where they sit, not by what they are: the password of a URL's user
 * info, and the value of a query parameter (or `name=value` setting) whose name says it holds
 * one (`password`, `sslpassword`, `api_key`, `token`, …). Scrubbing by structure behaves the
 * same whatever the secret is, so text a client sent and sees again tells it nothing about a
 * configured secret (a scrubber that matches the configured values would answer a correct guess
 * with `[redacted]`).
 */
const CREDENTIAL_NAME = /pass|pwd|secret|token|key|auth|cred|signature/i;
const CENSOR = '[redacted]';

// `scheme://user:password@` → `scheme://user:[redacted]@`. Quotes and backslashes cannot be in a
// URL unencoded: stopping there keeps a JSON line valid.
const USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:"'\\]*):[^\s/?#@"'\\]*@/gi;
// `?password=…`, `&api_key=…`, ` sslpassword=…` (a query, or libpq's `key=value` settings).
const SETTING = /(^|[?&;\s])([^\s=?&;#"'\\]+)=([^\s&;#"'\\]*)/g;

/** `text` with every credential found by structure replaced by `[redacted]`. */
export function redactCredentials(text: string): string {
  return text
    .replace(USER_INFO, `$1:${CENSOR}@`)
    .replace(SETTING, (whole: string, lead: string, name: string) => (CREDENTIAL_NAME.test(name) ? `${lead}${name}=${CENSOR}` : whole));
}

/** `postgres://user:secret@host/db?sslpassword=x&sslmode=require` → `postgres://user:***@host/db?sslpassword=***&sslmode=require`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const name of [...parsed.searchParams.keys()]) {
      if (CREDENTIAL_NAME.test(name)) parsed.searchParams.set(name, '***');
    }
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}

/**
 * The credentials of a database URL, each as written and decoded: the password and the values of
 * credential parameters. For the scrubber of log lines, behind the redaction by structure.
 */
export function urlSecrets(url: string | undefined): string[] {
  if (!url) return [];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const secrets: string[] = [];
  if (parsed.password) secrets.push(parsed.password, percentDecoded(parsed.password));
  for (const [name, value] of parsed.searchParams) {
    if (!CREDENTIAL_NAME.test(name) || !value) continue;
    // searchParams decodes; the URL may spell the value encoded.
    secrets.push(value, encodeURIComponent(value));
  }
  return [...new Set(secrets)];
}

function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // not valid percent-encoding: the text as written is the secret
  }
}
