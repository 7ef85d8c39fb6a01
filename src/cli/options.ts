import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
export type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>['values'];

/**
 * The commands' argv (without node and the script) → option values, or the parser's complaint,
 * or help. `-h`/`--help` is added to every command.
 */
export function parseOptions<O extends Options>(
  argv: readonly string[],
  options: O,
): { ok: true; values: Parsed<O> } | { ok: true; help: true } | { ok: false; problems: string[] } {
  let values: Parsed<O> & { help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h', default: false } },
      strict: true,
      allowPositionals: false,
    }) as {
      values: Parsed<O> & { help?: boolean };
    });
  } catch (error) {
    return { ok: false, problems: [(error as Error).message] };
  }
  if (values.help) return { ok: true, help: true };
  return { ok: true, values };
}

/** A decimal integer option within bounds; a problem is added otherwise. */
export function integer(text: string, name: string, min: number, max: number, problems: string[]): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) problems.push(`${name}: expected an integer from ${min} to ${max}`);
  return n;
}

/** `--endpoint`: an AWS-compatible endpoint URL. */
export function checkEndpoint(endpoint: string | undefined, problems: string[]): void {
  if (endpoint !== undefined && !/^https?:\/\/[^/]+/.test(endpoint)) problems.push('--endpoint: expected an http:// or https:// URL');
}
