import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createLogger } from '../../../src/log/logger.js';

// What users of a repository expect to find, kept true by a test.
const root = new URL('../../../', import.meta.url).pathname;
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');
const pkg = JSON.parse(read('package.json')) as { name: string; version: string; license: string; scripts: Record<string, string> };
const readme = read('README.md');

describe('the repository', () => {
  it('has one project name: package.json, lock file, OpenAPI title, README, logs, compose and image', () => {
    const name = pkg.name;
    expect(name).toBe('dynamodb-cdc-sink');
    expect((JSON.parse(read('package-lock.json')) as { name: string }).name).toBe(name);
    expect((parse(read('openapi.yaml')) as { info: { title: string } }).info.title).toBe(name);
    expect(readme.split('\n')[0]).toBe(`# ${name}`);
    expect(readme).toContain(`docker build -t ${name} .`);
    expect((parse(read('docker-compose.yml')) as { name: string }).name).toBe(name);
    const lines: string[] = [];
    const log = createLogger('info', { destination: new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }) as never });
    log.info('hello');
    expect(JSON.parse(lines[0]!).service).toBe(name);
  });

  it('has the Apache-2.0 LICENSE package.json names, and a CHANGELOG with this version', () => {
    expect(pkg.license).toBe('Apache-2.0');
    const license = read('LICENSE');
    expect(license).toMatch(/^\s+Apache License\n\s+Version 2\.0, January 2004\n/);
    expect(license).toContain('END OF TERMS AND CONDITIONS');
    const changelog = read('CHANGELOG.md');
    expect(changelog).toContain('## [Unreleased]');
    expect(changelog).toMatch(new RegExp(`^## \\[${pkg.version.replace(/\./g, '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm'));
  });

  it('explains the scripts a newcomer runs first, and has a Troubleshooting section', () => {
    for (const script of ['dev', 'typecheck', 'start', 'test']) {
      expect(pkg.scripts[script], script).toBeDefined();
      expect(readme, script).toContain(`\`npm ${script === 'start' || script === 'test' ? '' : 'run '}${script}\``);
    }
    const troubleshooting = readme.slice(readme.indexOf('## Troubleshooting'));
    for (const topic of ['database is down', 'already in use', '401', 'PGLITE_DIR', 'CloudWatch']) expect(troubleshooting, topic).toContain(topic);
  });
});
