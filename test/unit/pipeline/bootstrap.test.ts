import { describe, expect, it } from 'vitest';
import { boot } from '../../../src/pipeline/bootstrap.js';

describe('boot', () => {
  it('reports every configuration problem at once, and builds nothing', () => {
    const booted = boot({ PORT: 'eighty', SINK_MAX_ROWS_PER_STATEMENT: '0' });
    expect(booted.ok).toBe(false);
    if (!booted.ok) expect(booted.problems.length).toBeGreaterThanOrEqual(2);
  });

  it('builds a logger at LOG_LEVEL, quieter for a command whose output is the information', () => {
    const env = { ACCESS_KEY: 'the-key' };
    const service = boot(env);
    const command = boot(env, { quiet: true });
    expect(service.ok && service.log.level).toBe('info');
    expect(command.ok && command.log.level).toBe('warn');
    expect(boot({ ...env, LOG_LEVEL: 'debug' }, { quiet: true })).toMatchObject({ ok: true, log: { level: 'debug' } });
  });

  it('scrubs the configured secrets from text', () => {
    const booted = boot({ ACCESS_KEY: 'the-key-1234', SINK_URL: 'postgres://u:pa55word@127.0.0.1/db' });
    expect(booted.ok).toBe(true);
    if (booted.ok) expect(booted.scrub('key the-key-1234, password pa55word')).not.toMatch(/the-key-1234|pa55word/);
  });
});
