/**
 * How deep a parsed record's JSON may nest. DynamoDB nests attributes 32 levels at most, each
 * level two JSON levels (`{"M": {…}}`), under the record's own envelope (record, `dynamodb`,
 * `NewImage`): about 70 at most. Past 100 it is no DynamoDB record, and recursing through it
 * (JSON.stringify, the decoder) would exhaust the stack a few thousand levels down.
 */
export const MAX_RECORD_DEPTH = 100;

/** Whether `value` nests deeper than `max` levels of objects and arrays; without recursion. */
export function exceedsDepth(value: unknown, max: number = MAX_RECORD_DEPTH): boolean {
  const pending: unknown[] = [value];
  const depths: number[] = [1];
  while (pending.length > 0) {
    const current = pending.pop() as Record<string, unknown>;
    const depth = depths.pop()!;
    if (depth > max) return true;
    for (const name in current) {
      const inner = current[name];
      if (typeof inner === 'object' && inner !== null && !ArrayBuffer.isView(inner)) {
        pending.push(inner);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

/**
 * `JSON.stringify(value)` (or `String(value)` for what it cannot spell), also for a value nested
 * too deep for JSON.stringify's recursion: a dead letter keeps the record as it came.
 */
export function jsonText(value: unknown): string {
  if (typeof value !== 'object' || value === null || !exceedsDepth(value)) return JSON.stringify(value) ?? String(value);
  return stringifyWithoutRecursion(value);
}

interface Frame {
  readonly container: Record<string, unknown> | unknown[];
  readonly names: readonly string[] | null; // null: an array
  at: number;
}

// What JSON.stringify writes for parsed JSON (no toJSON, no cycles), with an explicit stack.
function stringifyWithoutRecursion(root: object): string {
  const stack: Frame[] = [];
  let out = '';
  const write = (value: unknown) => {
    if (typeof value !== 'object' || value === null) {
      out += JSON.stringify(value) ?? 'null'; // in an object, such names are left out above
    } else if (Array.isArray(value)) {
      out += '[';
      stack.push({ container: value, names: null, at: 0 });
    } else {
      out += '{';
      const record = value as Record<string, unknown>;
      stack.push({ container: record, names: Object.keys(record).filter((n) => isContainer(record[n]) || JSON.stringify(record[n]) !== undefined), at: 0 });
    }
  };
  write(root);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const size = frame.names === null ? (frame.container as unknown[]).length : frame.names.length;
    if (frame.at === size) {
      out += frame.names === null ? ']' : '}';
      stack.pop();
      continue;
    }
    if (frame.at > 0) out += ',';
    const at = frame.at++;
    if (frame.names === null) {
      write((frame.container as unknown[])[at]);
    } else {
      const name = frame.names[at]!;
      out += `${JSON.stringify(name)}:`;
      write((frame.container as Record<string, unknown>)[name]);
    }
  }
  return out;
}

function isContainer(value: unknown): boolean {
  return typeof value === 'object' && value !== null;
}
