import { describe, expect, it } from 'vitest';
import { redactCredentials, redactUrl, urlSecrets } from '../../../src/log/credentials.js';

// libpq and pg take credentials as query parameters too.
const PARAM_PASSWORD = 'par4m-pa55word';
const SSL_PASSWORD = 'ssl-k3y-pa55phrase';
const PARAM_URL = `postgres://ingest@127.0.0.1:1/cdc?sslmode=disable&password=${PARAM_PASSWORD}&sslpassword=${SSL_PASSWORD}`;

describe('credentials by structure', () => {
  it('finds a URL password and credential settings wherever they are in a text, and keeps a JSON line JSON', () => {
    expect(redactCredentials('at crate://crate:s3cret@db:4200/?ssl=true&schema=doc.')).toBe('at crate://crate:[redacted]@db:4200/?ssl=true&schema=doc.');
    expect(redactCredentials('host=db password=abc sslmode=require')).toBe('host=db password=[redacted] sslmode=require');
    expect(redactCredentials('https://h/?api_key=1&Token=2&x=3')).toBe('https://h/?api_key=[redacted]&Token=[redacted]&x=3');
    const line = JSON.stringify({ msg: 'failed', url: 'postgres://u:p@h/db?password=q', next: 'a@b' });
    expect(JSON.parse(redactCredentials(line))).toEqual({ msg: 'failed', url: 'postgres://u:[redacted]@h/db?password=[redacted]', next: 'a@b' });
    expect(redactCredentials('no credentials here: a=b, user@host, k=v')).toBe('no credentials here: a=b, user@host, k=v');
  });

  it('knows the credentials of a URL given as query parameters', () => {
    expect(urlSecrets(PARAM_URL)).toEqual([PARAM_PASSWORD, SSL_PASSWORD]);
    expect(urlSecrets('postgres://u@h/db?password=a%2Fb')).toEqual(['a/b', 'a%2Fb']);
    expect(redactUrl(PARAM_URL)).toBe('postgres://ingest@127.0.0.1:1/cdc?sslmode=disable&password=***&sslpassword=***');
  });
});
