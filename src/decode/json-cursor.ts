/**
 * A cursor over JSON text for readers that take the usual shape of a document straight from its
 * text (cdc-text.ts) and leave everything else to JSON.parse. It reads exactly RFC 8259 (what
 * JSON.parse reads), and gives up with UNUSUAL, never with a message: the caller's other path
 * then reads the text and says what is wrong with it.
 */

/** Thrown when the text is not what the fast reader takes; not an Error, so nothing is captured. */
export const UNUSUAL: unique symbol = Symbol('unusual JSON for the fast reader');

/** The character codes of JSON's punctuation. */
export const CHAR = { QUOTE: 0x22, BACKSLASH: 0x5c, OBJECT: 0x7b, OBJECT_END: 0x7d, ARRAY: 0x5b, ARRAY_END: 0x5d, COLON: 0x3a, COMMA: 0x2c } as const;
const { QUOTE, BACKSLASH, OBJECT, OBJECT_END, ARRAY, ARRAY_END, COLON, COMMA } = CHAR;
// What a string token may hold that is not its value as it stands (escapes, control characters,
// which JSON.parse refuses, and surrogates, which JSON.stringify escapes when lone).
const NOT_AS_IT_STANDS = /[\\\u0000-\u001f\ud800-\udfff]/;
const MAX_SKIP_DEPTH = 128;

export class JsonCursor {
  at = 0;
  /** The contents of the last string read: [start, end) in the text, quotes outside. */
  start = 0;
  end = 0;
  /** The last string's value when it held an escape or a surrogate; undefined when it is its contents as they stand. */
  parsed: string | undefined;

  /**
   * The text holds none of NOT_AS_IT_STANDS, not even whitespace other than spaces (what AWS
   * sends: one line): every string is what lies between its quotes, found without a look at each
   * character in between.
   */
  private readonly plain: boolean;

  /** `plain`: the caller knows the text to be plain (base64.ts finds it in the bytes), else the cursor looks. */
  constructor(
    readonly text: string,
    plain = false,
  ) {
    this.plain = plain || !NOT_AS_IT_STANDS.test(text);
  }

  /** Skips whitespace; answers the code of the next character (NaN at the end). */
  peek(): number {
    const { text } = this;
    let at = this.at;
    let c = text.charCodeAt(at);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++at);
    this.at = at;
    return c;
  }

  /** Consumes `code` if it is next. */
  take(code: number): boolean {
    if (this.peek() !== code) return false;
    this.at++;
    return true;
  }

  expect(code: number): void {
    if (this.peek() !== code) throw UNUSUAL;
    this.at++;
  }

  /** Only whitespace is left. */
  expectEnd(): void {
    if (!Number.isNaN(this.peek())) throw UNUSUAL;
  }

  /** Whether the next token is the word (`true`, `false`, `null`); consumes it if so. */
  word(word: string): boolean {
    this.peek();
    if (!this.text.startsWith(word, this.at)) return false;
    this.at += word.length;
    return true;
  }

  /** Reads a string token: its span, and `parsed` when its contents are not its value. */
  string(): void {
    const { text } = this;
    if (this.peek() !== QUOTE) throw UNUSUAL;
    const start = this.at + 1;
    if (this.plain) {
      const end = text.indexOf('"', start);
      if (end === -1) throw UNUSUAL;
      this.start = start;
      this.end = end;
      this.at = end + 1;
      this.parsed = undefined;
      return;
    }
    const n = text.length;
    for (let i = start; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        this.start = start;
        this.end = i;
        this.at = i + 1;
        this.parsed = undefined;
        return;
      }
      // Escapes, control characters (JSON.parse refuses them) and surrogates (JSON.stringify
      // escapes lone ones): JSON.parse decides what the string is.
      if (c === BACKSLASH || c < 0x20 || (c >= 0xd800 && c <= 0xdfff)) {
        this.unusualString(start);
        return;
      }
    }
    throw UNUSUAL;
  }

  /** Whether the string read last is `name`. */
  is(name: string): boolean {
    if (this.parsed !== undefined) return this.parsed === name;
    return this.end - this.start === name.length && this.text.startsWith(name, this.start);
  }

  /** A string token's value. */
  stringValue(): string {
    this.string();
    return this.parsed ?? this.text.slice(this.start, this.end);
  }

  /** A string token whose value is its contents (no escape): those; anything else is UNUSUAL. */
  plainString(): string {
    this.string();
    if (this.parsed !== undefined) throw UNUSUAL;
    return this.text.slice(this.start, this.end);
  }

  /** A number token's value. */
  number(): number {
    const { text } = this;
    this.peek();
    const start = this.at;
    let i = start;
    if (text.charCodeAt(i) === 0x2d /* - */) i++;
    if (text.charCodeAt(i) === 0x30 /* 0 */) i++;
    else if (isDigit(text.charCodeAt(i))) while (isDigit(text.charCodeAt(i))) i++;
    else throw UNUSUAL;
    if (text.charCodeAt(i) === 0x2e /* . */) {
      if (!isDigit(text.charCodeAt(++i))) throw UNUSUAL;
      while (isDigit(text.charCodeAt(i))) i++;
    }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      const sign = text.charCodeAt(++i);
      if (sign === 0x2b || sign === 0x2d) i++;
      if (!isDigit(text.charCodeAt(i))) throw UNUSUAL;
      while (isDigit(text.charCodeAt(i))) i++;
    }
    this.at = i;
    return Number(text.slice(start, i));
  }

  /** Skips any JSON value, checking that it is one. */
  skipValue(): void {
    skipJsonValue(this, 0);
  }

  /** Consumes the character peek() answered. */
  advance(): void {
    this.at++;
  }

  /** Whether the next token is `true`, `false` or `null`; consumes it if so. */
  literal(): boolean {
    return this.word('true') || this.word('false') || this.word('null');
  }

  /** Any JSON value, as JSON.parse reads it. */
  value(): unknown {
    this.peek();
    const start = this.at;
    this.skipValue();
    return JSON.parse(this.text.slice(start, this.at)) as unknown;
  }

  private unusualString(start: number): void {
    const { text } = this;
    let i = start;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) break;
    }
    if (i >= text.length) throw UNUSUAL;
    let value: unknown;
    try {
      value = JSON.parse(text.slice(start - 1, i + 1));
    } catch {
      throw UNUSUAL;
    }
    this.start = start;
    this.end = i;
    this.at = i + 1;
    this.parsed = value as string;
  }
}

/** What skipJsonValue reads with: JsonCursor over text, cdc-bytes.ts's reader over bytes. */
export interface JsonTokens {
  /** Skips whitespace; answers the code of the next character. */
  peek(): number;
  advance(): void;
  take(code: number): boolean;
  expect(code: number): void;
  string(): void;
  literal(): boolean;
  number(): unknown;
}

/** Skips any JSON value, checking that it is one (UNUSUAL otherwise). */
export function skipJsonValue(c: JsonTokens, depth: number): void {
  if (depth > MAX_SKIP_DEPTH) throw UNUSUAL;
  const next = c.peek();
  if (next === QUOTE) {
    c.string();
  } else if (next === OBJECT) {
    c.advance();
    if (c.take(OBJECT_END)) return;
    do {
      c.string();
      c.expect(COLON);
      skipJsonValue(c, depth + 1);
    } while (c.take(COMMA));
    c.expect(OBJECT_END);
  } else if (next === ARRAY) {
    c.advance();
    if (c.take(ARRAY_END)) return;
    do skipJsonValue(c, depth + 1);
    while (c.take(COMMA));
    c.expect(ARRAY_END);
  } else if (!c.literal()) {
    c.number();
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
