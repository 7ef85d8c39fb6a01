import { IDENTIFIER, internalTargets } from '../config/config.js';
import { parseTableMap } from '../translate/target-name.js';

/**
 * Per delivery stream settings, sent by Firehose in `X-Amz-Firehose-Common-Attributes` as
 * `{"commonAttributes": {"TARGET_SCHEMA": "…", "TABLE_MAP": "…"}}` (the stream's "Parameters" in
 * its HTTP endpoint destination configuration): one service can then serve several delivery
 * streams, each into a schema or table map of its own. Same names and values as the environment
 * variables they override. https://docs.aws.amazon.com/firehose/latest/dev/httpdeliveryrequestresponse.html
 */
export const STREAM_ATTRIBUTES = ['TARGET_SCHEMA', 'TABLE_MAP'] as const;

export interface StreamSettings {
  readonly targetSchema?: string;
  readonly tableMap?: ReadonlyMap<string, string>;
}

export type StreamSettingsResult =
  | { readonly ok: true; readonly settings: StreamSettings /** Why the header was ignored, for a warning. */; readonly ignored?: string }
  | { readonly ok: false; readonly error: string };

const HEADER = 'X-Amz-Firehose-Common-Attributes';

/**
 * Reads the header. A value that is not Firehose's JSON is ignored (Firehose itself always sends
 * valid JSON, and peers do not fail a delivery over it); a value of ours that is wrong is refused,
 * since writing a stream's records into the wrong schema would be worse than Firehose retrying.
 */
export function streamSettings(header: string | undefined, deadLetterTable: string): StreamSettingsResult {
  if (header === undefined || header.trim() === '') return { ok: true, settings: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8(header));
  } catch {
    return { ok: true, settings: {}, ignored: `${HEADER} is not JSON` };
  }
  const attributes = (parsed as { commonAttributes?: unknown } | null)?.commonAttributes;
  if (attributes === null || typeof attributes !== 'object' || Array.isArray(attributes)) {
    return { ok: true, settings: {}, ignored: `${HEADER} has no commonAttributes object` };
  }
  const values = attributes as Record<string, unknown>;
  const problems: string[] = [];
  const text = (name: string): string | undefined => {
    const value = values[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') problems.push(`${name} must be a string`);
    return typeof value === 'string' ? value.trim() : undefined;
  };
  const settings: { targetSchema?: string; tableMap?: Map<string, string> } = {};
  const schema = text('TARGET_SCHEMA');
  if (schema !== undefined) {
    if (IDENTIFIER.test(schema)) settings.targetSchema = schema;
    else problems.push(`TARGET_SCHEMA ${JSON.stringify(schema.slice(0, 100))}: lower-case letters, digits and _, at most 63`);
  }
  const map = text('TABLE_MAP');
  if (map !== undefined) {
    try {
      settings.tableMap = parseTableMap(map);
      problems.push(...internalTargets(settings.tableMap, deadLetterTable));
    } catch (error) {
      problems.push(`TABLE_MAP: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) return { ok: false, error: `${HEADER}: ${problems.join('; ')}` };
  return { ok: true, settings };
}

/** Node reads header bytes as latin1: UTF-8 text (a non-ASCII table name) arrives mangled; decode it again. */
function utf8(value: string): string {
  if (!/[\u0080-\u00ff]/.test(value) || /[^\u0000-\u00ff]/.test(value)) return value;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(value, 'latin1'));
  } catch {
    return value;
  }
}
