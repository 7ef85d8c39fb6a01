import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { envSchema } from '../../../src/config/config.js';

const root = new URL('../../../', import.meta.url).pathname;
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');
const dockerfile = read('Dockerfile');
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };

/** Instructions of the Dockerfile (comments dropped, continuation lines joined), per stage. */
function stages(text: string): { from: string; instructions: { op: string; args: string }[] }[] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const result: { from: string; instructions: { op: string; args: string }[] }[] = [];
  for (const line of lines) {
    const [op, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op!.toUpperCase() === 'FROM') result.push({ from: args, instructions: [] });
    else result.at(-1)?.instructions.push({ op: op!.toUpperCase(), args });
  }
  return result;
}

const all = stages(dockerfile);
const build = all[0]!;
const run = all.at(-1)!;
const final = (op: string) => run.instructions.filter((i) => i.op === op);

describe('Dockerfile', () => {
  it('is multi-stage: the build stage runs scripts/build-release.sh, the image takes only its release', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(build.from).toMatch(/ AS build$/);
    expect(build.instructions).toContainEqual({ op: 'RUN', args: 'scripts/build-release.sh /release' });
    expect(final('COPY')).toEqual([{ op: 'COPY', args: '--from=build /release ./' }]);
    expect(run.instructions.some((i) => i.op === 'RUN' && /npm (ci|install)/.test(i.args))).toBe(false);
    // A current LTS (README, "Supported Node versions"), the same in both stages, slim.
    expect(run.from).toMatch(/^node:(22|24)-[a-z]+-slim$/);
    expect(build.from.replace(/ AS build$/, '')).toBe(run.from);
    const major = run.from.match(/^node:(\d+)/)![1];
    expect(read('README.md')).toContain(`the image runs Node ${major}`);
  });

  it('copies into the build stage only files that exist, and the script CI runs too', () => {
    for (const copy of build.instructions.filter((i) => i.op === 'COPY')) {
      const sources = copy.args
        .split(/\s+/)
        .filter((a) => !a.startsWith('--'))
        .slice(0, -1);
      for (const source of sources) expect(existsSync(`${root}${source}`), source).toBe(true);
    }
    const ci = read('.ci/run');
    expect(ci).toMatch(/^scripts\/build-release\.sh "\$release"$/m);
    expect(ci).toMatch(/^scripts\/check-release\.sh "\$release"$/m);
  });

  it('runs as a non-root user, checks /healthz, and starts what `npm start` runs once built', () => {
    const users = final('USER');
    expect(users).toHaveLength(1);
    expect(users[0]!.args).not.toMatch(/^(root|0)(:|$)/);
    const health = final('HEALTHCHECK');
    expect(health).toHaveLength(1);
    expect(health[0]!.args).toContain('/healthz');
    const cmd = final('CMD');
    expect(cmd).toHaveLength(1);
    expect(JSON.parse(cmd[0]!.args)).toEqual(pkg.scripts.start!.split(' '));
    expect(pkg.scripts.start).toMatch(/^node (--[a-z-]+(=\d+)? )*dist\/main\.js$/);
  });

  it('is configured only by the environment: no configuration or secret baked in', () => {
    const env = final('ENV').map((i) => i.args);
    expect(env).toEqual(['NODE_ENV=production']);
    const configVariables = Object.keys(envSchema.shape);
    const args = all.flatMap((s) => s.instructions.filter((i) => i.op === 'ARG' || i.op === 'ENV').map((i) => i.args));
    for (const arg of args) for (const name of configVariables) expect(arg, arg).not.toMatch(new RegExp(`\\b${name}\\b`));
    expect(final('EXPOSE')).toEqual([{ op: 'EXPOSE', args: String(envSchema.shape.PORT.parse(undefined)) }]);
  });
});
