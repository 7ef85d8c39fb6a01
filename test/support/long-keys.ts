/**
 * A key string of exactly `bytes` UTF-8 bytes that does not compress (PostgreSQL compresses
 * long index entries, so a repetitive key would slip under its limits): pseudo-random characters
 * of one to four bytes from several scripts, and characters JSON escapes (`"`, `\`, U+0001).
 */
export function longKey(bytes: number, seed: number): string {
  // [first code point, how many]: ASCII letters, Cyrillic (2 bytes), CJK (3 bytes), emoji (4 bytes).
  const ranges: [number, number][] = [
    [0x61, 26],
    [0x400, 256],
    [0x4e00, 20_000],
    [0x1f300, 768],
  ];
  const escaped = ['"', '\\', '\u0001'];
  let state = seed >>> 0 || 1;
  const next = () => (state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0) >>> 8;
  let text = '';
  let size = 0;
  while (size < bytes) {
    const room = bytes - size;
    const pick = next() % 8;
    let c: string;
    if (pick === 0) c = escaped[next() % escaped.length]!;
    else {
      const fitting = ranges.filter(([first]) => Buffer.byteLength(String.fromCodePoint(first)) <= room);
      const [first, count] = fitting[next() % fitting.length]!;
      c = String.fromCodePoint(first + (next() % count));
    }
    text += c;
    size += Buffer.byteLength(c);
  }
  return text;
}
