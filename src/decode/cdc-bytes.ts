import { binarySetJson, binaryToBase64, numberSetJson, stringSetJson } from './attribute-value.js';
import { isTtlPrincipal, kinesisVersion } from './cdc-record.js';
import { aheadOfBounds, type ChangeBounds } from './change-bounds.js';
import type { Change, EventName } from './change.js';
import { DecodeError } from './decode-error.js';
import { canonicalNumber } from './dynamo-number.js';
import type { DecodedRecord } from './decode-record.js';
import { type JsonTokens, skipJsonValue, UNUSUAL } from './json-cursor.js';

/**
 * A Kinesis-for-DynamoDB record's JSON bytes (the first `length` of `bytes`, which holds at
 * least one byte more, for the reader to write) → its Change, read byte by byte: the event id,
 * the item's JSON, the keys and the canonical key are copied into an output buffer as the
 * attributes are read, and sliced from one string of it at the end. Only for plain bytes
 * (base64.ts's isSharedPlain: ASCII, no control character, no backslash), where every string is
 * what lies between its quotes and every name is its own JSON literal. cdc-text.ts reads the same records from their
 * text, at about four times the cost: a loop over a string's characters costs several times one
 * over bytes, and the pieces it joins are strings of their own. Undefined for anything but the
 * usual record, and then the text decides; when it answers, it is what decodeCdcRecord answers
 * (a property test holds them together).
 */
export function decodeCdcBytes(bytes: Buffer, length: number, bounds: ChangeBounds): Change | undefined {
  try {
    return reader.record(bytes, length, bounds);
  } catch (error) {
    if (error === UNUSUAL || error instanceof DecodeError) return undefined;
    throw error;
  }
}

/**
 * Plain records read one after another into the reader's output, their Changes made together
 * from one string of it (`flush`), as decodeCdcBytes makes each. A string per record was a call
 * into the runtime each, and its bytes were copied by every scavenge while the delivery was
 * written; a string of 128 KiB or more lies in V8's large-object space, which scavenges leave
 * where it is (under the (b) load, the median scavenge copied 4.1 MB where it had copied 6.3).
 * Slices keep their parent alive: the records of a batch are held, and let go, together, as a
 * delivery's are.
 */
export const cdcBatch = {
  /**
   * The record (the first `length` of `bytes`, as decodeCdcBytes reads them) into the batch, its
   * Change to be `decoded[place]`, for the record at `index`; false for anything but the usual
   * record, which the batch then does not hold.
   */
  add(bytes: Buffer, length: number, bounds: ChangeBounds, index: number, place: number): boolean {
    try {
      reader.add(bytes, length, bounds, index, place);
      return true;
    } catch (error) {
      if (error === UNUSUAL || error instanceof DecodeError) return false;
      throw error;
    }
  },
  /** Whether the batch holds enough for one string. */
  full(): boolean {
    return reader.batched() >= BATCH_BYTES;
  },
  /** `decoded[place]` of each record added since the last flush; the batch is empty after. */
  flush(decoded: DecodedRecord[]): void {
    reader.flush(decoded);
  },
  /** Forgets what the batch holds (a delivery given up half way). */
  drop(): void {
    reader.drop();
  },
};

const QUOTE = 0x22;
const SPACE = 0x20;
const COMMA = 0x2c;
const COLON = 0x3a;
const OBJECT = 0x7b;
const OBJECT_END = 0x7d;
const ARRAY = 0x5b;
const ARRAY_END = 0x5d;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const S = 0x53;
const N = 0x4e;
const B = 0x42;
const M = 0x4d;
const L = 0x4c;
// DynamoDB allows 32 levels of nesting; attribute-value.ts and cdc-text.ts count them the same way.
const MAX_DEPTH = 32;
const MAX_NAMES_PER_MAP = 64;
// canonicalNumber's bound for text it takes as it stands.
const MAX_SIGNIFICANT_DIGITS = 38;
const NO_PATH = () => '';
// The record's strings, by their place in ByteReader's spans.
const EVENT_ID = 0;
const KEYS = 1;
const PK = 2;
const NEW_IMAGE = 3;
const OLD_IMAGE = 4;
const SPANS = 5;
/** The bit of a field that is not read. */
const SKIPPED = 32;
// The output a batch gathers before its string is made: past V8's largest regular object (128 KiB).
const BATCH_BYTES = 1024 * 1024;

const ascii = (text: string) => Buffer.from(text, 'latin1');
const FIELD = {
  eventName: ascii('eventName'),
  eventID: ascii('eventID'),
  tableName: ascii('tableName'),
  userIdentity: ascii('userIdentity'),
  dynamodb: ascii('dynamodb'),
  eventSourceARN: ascii('eventSourceARN'),
  eventVersion: ascii('eventVersion'),
  Keys: ascii('Keys'),
  NewImage: ascii('NewImage'),
  OldImage: ascii('OldImage'),
  ApproximateCreationDateTime: ascii('ApproximateCreationDateTime'),
  ApproximateCreationDateTimePrecision: ascii('ApproximateCreationDateTimePrecision'),
  SequenceNumber: ascii('SequenceNumber'),
  INSERT: ascii('INSERT'),
  MODIFY: ascii('MODIFY'),
  REMOVE: ascii('REMOVE'),
  MICROSECOND: ascii('MICROSECOND'),
  MILLISECOND: ascii('MILLISECOND'),
  BOOL: ascii('BOOL'),
  NULL: ascii('NULL'),
  true: ascii('true'),
  false: ascii('false'),
  null: ascii('null'),
};

/** Where an image's top-level attributes lie: name in the input, value in the output, four numbers each. */
class Attributes {
  spans = new Int32Array(4 * MAX_NAMES_PER_MAP);
  count = 0;
}

/** One reader, reused from record to record (it is synchronous): no state of its own per record. */
class ByteReader implements JsonTokens {
  private b: Buffer = Buffer.alloc(0);
  private at = 0;
  private end = 0;
  /** The span of the last string read: [start, stop) in `b`, quotes outside. */
  private start = 0;
  private stop = 0;
  /** The output: the event id, keys, canonical key and images, one string of it sliced at the end (`spans`). */
  private out = Buffer.allocUnsafe(64 * 1024);
  private o = 0;
  /** The name spans of the maps being read, innermost last (to find a repeated name). */
  private names = new Int32Array(2 * MAX_NAMES_PER_MAP * (MAX_DEPTH + 2));
  private nameCount = 0;
  private readonly newAttributes = new Attributes();
  private readonly oldAttributes = new Attributes();
  /** Keys: up to two attributes, name in the input and value in the output. */
  private readonly keySpans = new Int32Array(8);
  private keyCount = 0;
  /**
   * Where the record's strings lie in the output (from, to; from -1 when absent): all are made of
   * one string, sliced, as one call into the runtime costs more than the slices together.
   */
  private readonly spans = new Int32Array(2 * SPANS);
  private lastTable = '';
  private lastTableBytes = Buffer.alloc(0);
  /** The type of the attribute read last (its code for S, N or B, else 0), for Keys. */
  private lastType = 0;
  /** ApproximateCreationDateTime and its precision, for kinesisVersion. */
  private time: number | undefined;
  private precision: string | undefined;
  /** What `read` found besides the strings' spans. */
  private readName: EventName = 'INSERT';
  private readTable = '';
  private readTtl = false;
  private readVersion = 0;
  /** The batch (cdcBatch): each record's spans (SPANS pairs), its place in `decoded`, its index and the rest of its Change. */
  private pending = 0;
  private batchSpans = new Int32Array(2 * SPANS * 1024);
  private readonly places: number[] = [];
  private readonly indexes: number[] = [];
  private readonly eventNames: EventName[] = [];
  private readonly tables: string[] = [];
  private readonly ttls: boolean[] = [];
  private readonly versions: number[] = [];

  /** One record, its strings sliced from a string of its own (written after what a batch holds). */
  record(bytes: Buffer, length: number, bounds: ChangeBounds): Change {
    const from = this.o;
    try {
      this.read(bytes, length, bounds);
      return changeOf(this.out.toString('latin1', from, this.o), this.spans, 0, from, this.readName, this.readTable, this.readTtl, this.readVersion);
    } finally {
      this.o = from;
    }
  }

  add(bytes: Buffer, length: number, bounds: ChangeBounds, index: number, place: number): void {
    const from = this.o;
    try {
      this.read(bytes, length, bounds);
    } catch (error) {
      this.o = from;
      throw error;
    }
    const k = this.pending++;
    if (this.batchSpans.length < 2 * SPANS * this.pending) {
      const grown = new Int32Array(2 * this.batchSpans.length);
      grown.set(this.batchSpans);
      this.batchSpans = grown;
    }
    this.batchSpans.set(this.spans, 2 * SPANS * k);
    this.places[k] = place;
    this.indexes[k] = index;
    this.eventNames[k] = this.readName;
    this.tables[k] = this.readTable;
    this.ttls[k] = this.readTtl;
    this.versions[k] = this.readVersion;
  }

  batched(): number {
    return this.o;
  }

  flush(decoded: DecodedRecord[]): void {
    if (this.pending === 0) return;
    const text = this.out.toString('latin1', 0, this.o);
    const { batchSpans, places, indexes, eventNames, tables, ttls, versions } = this;
    for (let k = 0; k < this.pending; k++) {
      decoded[places[k]!] = {
        ok: true,
        index: indexes[k]!,
        change: changeOf(text, batchSpans, 2 * SPANS * k, 0, eventNames[k]!, tables[k]!, ttls[k]!, versions[k]!),
      };
    }
    this.drop();
  }

  drop(): void {
    this.pending = 0;
    this.o = 0;
  }

  /** Reads a record into the output after what it holds: its strings' spans in `spans` (of the output), the rest in the read… fields. */
  private read(bytes: Buffer, length: number, bounds: ChangeBounds): void {
    this.b = bytes;
    this.at = 0;
    this.end = length;
    // A quote past the end stops every scan for one without a check of the end at each byte.
    bytes[length] = QUOTE;
    // The output never outgrows twice the input (each copied once, the key twice) but for text
    // written by the slower functions, which makes room for itself.
    this.room(2 * length + 64);
    this.nameCount = 0;
    this.keyCount = 0;
    this.newAttributes.count = 0;
    this.oldAttributes.count = 0;

    this.spans.fill(-1);
    let eventName: EventName | undefined;
    let tableName = '';
    let identity: unknown = null;
    this.time = undefined;
    this.precision = undefined;
    let seen = 0;
    this.expect(OBJECT);
    if (!this.take(OBJECT_END)) {
      do {
        this.string();
        this.expect(COLON);
        const bit = this.recordField();
        // JSON.parse keeps the last of repeated fields: leave them to it (the skipped may repeat).
        if (seen & bit & ~SKIPPED) throw UNUSUAL;
        seen |= bit;
        if (bit === 1) eventName = this.eventName();
        else if (bit === 2) this.copyString(EVENT_ID);
        else if (bit === 4) tableName = this.tableName();
        else if (bit === 8) identity = this.word(FIELD.null) ? null : this.value();
        else if (bit === 16) this.stream();
        else this.skipValue();
      } while (this.take(COMMA));
      this.expect(OBJECT_END);
    }
    this.space();
    if (this.at !== this.end) throw UNUSUAL;

    const { spans } = this;
    const hasNew = spans[2 * NEW_IMAGE]! >= 0;
    const hasOld = spans[2 * OLD_IMAGE]! >= 0;
    if (eventName === undefined || spans[2 * EVENT_ID + 1]! <= spans[2 * EVENT_ID]! || !tableName || this.keyCount === 0) throw UNUSUAL;
    if (hasNew) this.checkKey(this.newAttributes);
    if (hasOld) this.checkKey(this.oldAttributes);
    if (eventName !== 'REMOVE' && !hasNew) throw UNUSUAL;
    const version = kinesisVersion(this.time, this.precision, NO_PATH);
    if (aheadOfBounds(version, bounds) !== null) throw UNUSUAL;
    this.readName = eventName;
    this.readTable = tableName;
    this.readTtl = eventName === 'REMOVE' && isTtlPrincipal(identity);
    this.readVersion = version;
  }

  /** `dynamodb`: the keys and images into the output, the time and its precision into their fields. */
  private stream(): void {
    this.expect(OBJECT);
    if (this.take(OBJECT_END)) return;
    let seen = 0;
    do {
      this.string();
      this.expect(COLON);
      const field = this.streamField();
      if (seen & field & ~SKIPPED) throw UNUSUAL;
      seen |= field;
      if (field === 1) this.keys();
      else if (field === 2) this.image(NEW_IMAGE, this.newAttributes);
      else if (field === 4) this.image(OLD_IMAGE, this.oldAttributes);
      else if (field === 8) this.time = this.number();
      else if (field === 16) this.precision = this.readPrecision();
      else this.skipValue();
    } while (this.take(COMMA));
    this.expect(OBJECT_END);
  }

  /** The record field just read: its bit, SKIPPED for one not read; DynamoDB Streams' fields are UNUSUAL. */
  private recordField(): number {
    // By length first: most fields are told apart without comparing a byte.
    switch (this.stop - this.start) {
      case 9:
        if (this.is(FIELD.eventName)) return 1;
        return this.is(FIELD.tableName) ? 4 : SKIPPED;
      case 7:
        return this.is(FIELD.eventID) ? 2 : SKIPPED;
      case 12:
        if (this.is(FIELD.userIdentity)) return 8;
        if (this.is(FIELD.eventVersion)) throw UNUSUAL;
        return SKIPPED;
      case 8:
        return this.is(FIELD.dynamodb) ? 16 : SKIPPED;
      case 14:
        if (this.is(FIELD.eventSourceARN)) throw UNUSUAL;
        return SKIPPED;
      default:
        return SKIPPED;
    }
  }

  private streamField(): number {
    switch (this.stop - this.start) {
      case 4:
        return this.is(FIELD.Keys) ? 1 : SKIPPED;
      case 8:
        if (this.is(FIELD.NewImage)) return 2;
        return this.is(FIELD.OldImage) ? 4 : SKIPPED;
      case 27:
        return this.is(FIELD.ApproximateCreationDateTime) ? 8 : SKIPPED;
      case 36:
        return this.is(FIELD.ApproximateCreationDateTimePrecision) ? 16 : SKIPPED;
      case 14:
        if (this.is(FIELD.SequenceNumber)) throw UNUSUAL;
        return SKIPPED;
      default:
        return SKIPPED;
    }
  }

  private eventName(): EventName {
    this.string();
    if (this.is(FIELD.INSERT)) return 'INSERT';
    if (this.is(FIELD.MODIFY)) return 'MODIFY';
    if (this.is(FIELD.REMOVE)) return 'REMOVE';
    throw UNUSUAL;
  }

  /** A delivery's records mostly name one table: spelled once in memory. */
  private tableName(): string {
    this.string();
    if (!this.is(this.lastTableBytes)) {
      this.lastTable = this.b.toString('latin1', this.start, this.stop);
      this.lastTableBytes = Buffer.from(this.lastTable, 'latin1');
    }
    return this.lastTable;
  }

  private readPrecision(): string {
    this.string();
    if (this.is(FIELD.MICROSECOND)) return 'MICROSECOND';
    if (this.is(FIELD.MILLISECOND)) return 'MILLISECOND';
    return this.b.toString('latin1', this.start, this.stop);
  }

  /** `Keys`: one or two attributes of type S, N or B → keysJson and pk (canonical-key.ts's), into the output. */
  private keys(): void {
    const { keySpans } = this;
    const from = this.o;
    this.expect(OBJECT);
    this.put(OBJECT);
    do {
      if (this.keyCount === 2) throw UNUSUAL;
      if (this.keyCount === 1) this.put(COMMA);
      this.name(this.nameCount);
      if (this.keyCount === 1 && this.compareNames(keySpans[0]!, keySpans[1]!, this.start, this.stop) === 0) throw UNUSUAL;
      const k = 4 * this.keyCount++;
      keySpans[k] = this.start;
      keySpans[k + 1] = this.stop;
      keySpans[k + 2] = this.o;
      this.attribute(0);
      keySpans[k + 3] = this.o;
      if (this.lastType !== S && this.lastType !== N && this.lastType !== B) throw UNUSUAL;
    } while (this.take(COMMA));
    this.expect(OBJECT_END);
    this.put(OBJECT_END);
    this.span(KEYS, from);
    if (this.keyCount === 1 || this.compareNames(keySpans[4]!, keySpans[5]!, keySpans[0]!, keySpans[1]!) >= 0) return;
    // The second name sorts first: the canonical key spells it first.
    const pkFrom = this.o;
    this.put(OBJECT);
    this.putName(keySpans[4]!, keySpans[5]!);
    this.copyOut(keySpans[6]!, keySpans[7]!);
    this.put(COMMA);
    this.putName(keySpans[0]!, keySpans[1]!);
    this.copyOut(keySpans[2]!, keySpans[3]!);
    this.put(OBJECT_END);
    this.span(PK, pkFrom);
  }

  private image(at: number, attributes: Attributes): void {
    if (this.word(FIELD.null)) return;
    const from = this.o;
    this.map(0, attributes);
    this.span(at, from);
  }

  /** The string just read, into the output. */
  private copyString(at: number): void {
    this.string();
    const from = this.o;
    this.copyIn(this.start, this.stop);
    this.span(at, from);
  }

  private span(at: number, from: number): void {
    this.spans[2 * at] = from;
    this.spans[2 * at + 1] = this.o;
  }

  /** The image's attributes hold the key's, spelled as in Keys (what cdc-record.ts checks). */
  private checkKey(attributes: Attributes): void {
    const { keySpans, out } = this;
    const { spans, count } = attributes;
    for (let k = 0; k < 4 * this.keyCount; k += 4) {
      let found = false;
      for (let i = 0; i < 4 * count && !found; i += 4) {
        if (this.compareNames(spans[i]!, spans[i + 1]!, keySpans[k]!, keySpans[k + 1]!) !== 0) continue;
        if (!sameBytes(out, spans[i + 2]!, spans[i + 3]!, out, keySpans[k + 2]!, keySpans[k + 3]!)) throw UNUSUAL;
        found = true;
      }
      if (!found) throw UNUSUAL;
    }
  }

  /** A map of attributes → its JSON object, as attribute-value.ts writes it, into the output. */
  private map(depth: number, attributes: Attributes | null): void {
    if (depth > MAX_DEPTH) throw UNUSUAL;
    this.expect(OBJECT);
    this.put(OBJECT);
    if (this.take(OBJECT_END)) {
      this.put(OBJECT_END);
      return;
    }
    const from = this.nameCount;
    do {
      if (this.nameCount - from === MAX_NAMES_PER_MAP) throw UNUSUAL;
      if (this.nameCount > from) this.put(COMMA);
      this.name(from);
      const nameStart = this.start;
      const nameStop = this.stop;
      this.names[2 * this.nameCount] = nameStart;
      this.names[2 * this.nameCount + 1] = nameStop;
      this.nameCount++;
      const valueFrom = this.o;
      this.attribute(depth);
      if (attributes !== null) {
        const i = 4 * attributes.count++;
        attributes.spans[i] = nameStart;
        attributes.spans[i + 1] = nameStop;
        attributes.spans[i + 2] = valueFrom;
        attributes.spans[i + 3] = this.o;
      }
    } while (this.take(COMMA));
    this.expect(OBJECT_END);
    this.nameCount = from;
    this.put(OBJECT_END);
  }

  /**
   * An attribute name, then its colon; a name JSON.parse would enumerate out of order (an array
   * index: it starts with a digit), an empty one, or one the map already holds (from `from` on)
   * is UNUSUAL.
   */
  private name(from: number): void {
    this.copiedString();
    const { start, stop, names } = this;
    const first = this.b[start]!;
    if (stop === start || (first >= ZERO && first <= 0x39)) throw UNUSUAL;
    for (let i = from; i < this.nameCount; i++) {
      if (this.compareNames(names[2 * i]!, names[2 * i + 1]!, start, stop) === 0) throw UNUSUAL;
    }
    this.expect(COLON);
    this.put(COLON);
  }

  /** One AttributeValue (`{"S": …}`, exactly one type) → its JSON, into the output. */
  private attribute(depth: number): void {
    this.expect(OBJECT);
    this.string();
    const { b } = this;
    const length = this.stop - this.start;
    const type = b[this.start]!;
    const second = b[this.start + 1]!;
    this.expect(COLON);
    if (length === 1 && type === S) {
      this.copiedString();
    } else if (length === 1 && type === N) {
      this.string();
      this.canonicalNumber();
    } else if (length === 1 && type === B) {
      this.string();
      this.write(`"${binaryToBase64(this.b.toString('latin1', this.start, this.stop), 'double-base64')}"`);
    } else if (length === 1 && type === M) {
      this.map(depth + 1, null);
    } else if (length === 1 && type === L) {
      this.list(depth + 1);
    } else if (length === 2 && second === S && (type === S || type === N || type === B)) {
      const values = this.strings();
      if (type === S) this.write(stringSetJson(values));
      else if (type === N) this.write(numberSetJson(values.map((v) => canonicalNumber(v, ''))));
      else this.write(binarySetJson(values.map((v) => binaryToBase64(v, 'double-base64'))));
    } else if (length === 4 && this.is(FIELD.BOOL)) {
      if (this.word(FIELD.true)) this.write('true');
      else if (this.word(FIELD.false)) this.write('false');
      else throw UNUSUAL;
    } else if (length === 4 && this.is(FIELD.NULL) && this.word(FIELD.true)) {
      this.write('null');
    } else {
      throw UNUSUAL;
    }
    this.expect(OBJECT_END);
    this.lastType = length === 1 ? type : 0; // set last: a map or list read nested types meanwhile
  }

  private list(depth: number): void {
    if (depth > MAX_DEPTH) throw UNUSUAL;
    this.expect(ARRAY);
    this.put(ARRAY);
    if (!this.take(ARRAY_END)) {
      let first = true;
      do {
        if (!first) this.put(COMMA);
        first = false;
        this.attribute(depth);
      } while (this.take(COMMA));
      this.expect(ARRAY_END);
    }
    this.put(ARRAY_END);
  }

  /** A set's members: a non-empty array of strings. */
  private strings(): string[] {
    this.expect(ARRAY);
    const values: string[] = [];
    do {
      this.string();
      values.push(this.b.toString('latin1', this.start, this.stop));
    } while (this.take(COMMA));
    this.expect(ARRAY_END);
    return values;
  }

  /**
   * The string just read as a DynamoDB number, canonical (dynamo-number.ts): copied when it is
   * canonical already or but for zeros that end its fraction, else written by canonicalNumber.
   */
  private canonicalNumber(): void {
    const { b, start, stop } = this;
    let i = start;
    if (b[i] === MINUS) i++;
    const integer = i;
    if (b[i] === ZERO) i++;
    else while (isDigit(b[i]!)) i++;
    let plain = i > integer && stop - start <= MAX_SIGNIFICANT_DIGITS;
    let last = i; // where the number ends once the zeros that end its fraction are cut
    if (plain && b[i] === DOT) {
      i++;
      if (!isDigit(b[i]!)) plain = false;
      for (; isDigit(b[i]!); i++) if (b[i] !== ZERO) last = i + 1;
    }
    if (plain && i === stop) {
      // "-0" (or "-0.00" cut): zero is "0".
      if (last - start === 2 && b[start] === MINUS && b[start + 1] === ZERO) this.put(ZERO);
      else this.copyIn(start, last);
      return;
    }
    this.write(canonicalNumber(b.toString('latin1', start, stop), ''));
  }

  // ---- the output

  private room(bytes: number): void {
    if (this.o + bytes <= this.out.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.out.length, this.o + bytes));
    this.out.copy(grown, 0, 0, this.o);
    this.out = grown;
  }

  private put(byte: number): void {
    this.out[this.o++] = byte;
  }

  /** The input's bytes [from, to). */
  private copyIn(from: number, to: number): void {
    const { b, out } = this;
    let o = this.o;
    for (let i = from; i < to; i++) out[o++] = b[i]!;
    this.o = o;
  }

  /** The output's own bytes [from, to), again. */
  private copyOut(from: number, to: number): void {
    const { out } = this;
    let o = this.o;
    for (let i = from; i < to; i++) out[o++] = out[i]!;
    this.o = o;
  }

  private putName(start: number, stop: number): void {
    this.copyIn(start - 1, stop + 1);
    this.put(COLON);
  }

  private write(text: string): void {
    this.room(text.length);
    this.o += this.out.write(text, this.o, 'latin1');
  }

  // ---- the input

  private space(): void {
    const { b } = this;
    let at = this.at;
    while (b[at] === SPACE) at++;
    this.at = at;
  }

  take(code: number): boolean {
    this.space();
    if (this.b[this.at] !== code || this.at >= this.end) return false;
    this.at++;
    return true;
  }

  expect(code: number): void {
    if (!this.take(code)) throw UNUSUAL;
  }

  /** A string token: its span in `start` and `stop`. */
  string(): void {
    this.space();
    const { b } = this;
    let at = this.at;
    if (b[at] !== QUOTE || at >= this.end) throw UNUSUAL;
    const start = ++at;
    while (b[at] !== QUOTE) at++;
    if (at >= this.end) throw UNUSUAL;
    this.start = start;
    this.stop = at;
    this.at = at + 1;
  }

  /**
   * A string token, as string() reads it, copied into the output as it is read, quotes and all:
   * a plain string (or name) is its own JSON literal.
   */
  private copiedString(): void {
    this.space();
    const { b, out } = this;
    let at = this.at;
    if (b[at] !== QUOTE || at >= this.end) throw UNUSUAL;
    const start = ++at;
    let o = this.o;
    out[o++] = QUOTE;
    for (let c = b[at]!; c !== QUOTE; c = b[++at]!) out[o++] = c;
    if (at >= this.end) throw UNUSUAL;
    out[o++] = QUOTE;
    this.o = o;
    this.start = start;
    this.stop = at;
    this.at = at + 1;
  }

  /** Whether the string read last is `name`'s bytes. */
  private is(name: Buffer): boolean {
    return sameBytes(this.b, this.start, this.stop, name, 0, name.length);
  }

  /** Whether the next token is the word; consumes it if so. */
  private word(word: Buffer): boolean {
    this.space();
    const { at } = this;
    if (at + word.length > this.end || !sameBytes(this.b, at, at + word.length, word, 0, word.length)) return false;
    this.at += word.length;
    return true;
  }

  /** Two names of the input, by UTF-16 code units (for ASCII, by bytes), as JavaScript's `<` orders strings. */
  private compareNames(a: number, aStop: number, c: number, cStop: number): number {
    const { b } = this;
    const length = Math.min(aStop - a, cStop - c);
    for (let i = 0; i < length; i++) {
      const d = b[a + i]! - b[c + i]!;
      if (d !== 0) return d;
    }
    return aStop - a - (cStop - c);
  }

  /** A JSON number token's value (RFC 8259's grammar). */
  number(): number {
    this.space();
    const { b } = this;
    const start = this.at;
    let i = start;
    let value = 0;
    if (b[i] === MINUS) i++;
    if (b[i] === ZERO) i++;
    else if (isDigit(b[i]!)) while (isDigit(b[i]!)) value = value * 10 + (b[i++]! - ZERO);
    else throw UNUSUAL;
    let integer = true;
    if (b[i] === DOT) {
      integer = false;
      if (!isDigit(b[++i]!)) throw UNUSUAL;
      while (isDigit(b[i]!)) i++;
    }
    const e = b[i];
    if (e === 0x65 || e === 0x45) {
      integer = false;
      const sign = b[++i];
      if (sign === 0x2b || sign === MINUS) i++;
      if (!isDigit(b[i]!)) throw UNUSUAL;
      while (isDigit(b[i]!)) i++;
    }
    if (i > this.end) throw UNUSUAL;
    this.at = i;
    // Digits summed stay exact below 2^53; anything else is read as JSON.parse reads it.
    if (integer && Number.isSafeInteger(value)) return b[start] === MINUS ? -value : value;
    return Number(b.toString('latin1', start, i));
  }

  /** Any JSON value, as JSON.parse reads it. */
  private value(): unknown {
    this.space();
    const start = this.at;
    this.skipValue();
    return JSON.parse(this.b.toString('latin1', start, this.at)) as unknown;
  }

  private skipValue(): void {
    // The fields skipped are strings and numbers (awsRegion, SizeBytes…): read here, not through
    // skipJsonValue's calls, which serve the text reader too.
    this.space();
    const next = this.b[this.at];
    if (next === QUOTE) this.string();
    else if (next === MINUS || isDigit(next!)) this.number();
    else skipJsonValue(this, 0);
  }

  // ---- JsonTokens, for skipJsonValue

  peek(): number {
    this.space();
    return this.at < this.end ? this.b[this.at]! : Number.NaN;
  }

  advance(): void {
    this.at++;
  }

  literal(): boolean {
    return this.word(FIELD.true) || this.word(FIELD.false) || this.word(FIELD.null);
  }
}

/** A Change of strings sliced from `text`, which begins at `base` of the output the spans (from `s` on) point into. */
function changeOf(text: string, spans: Int32Array, s: number, base: number, eventName: EventName, sourceTable: string, ttl: boolean, version: number): Change {
  const keysJson = part(text, spans, s + 2 * KEYS, base);
  const hasNew = spans[s + 2 * NEW_IMAGE]! >= 0;
  return {
    format: 'kinesis',
    sourceTable,
    eventId: part(text, spans, s + 2 * EVENT_ID, base),
    eventName,
    ttl,
    version,
    sequence: null,
    pk: spans[s + 2 * PK]! < 0 ? keysJson : part(text, spans, s + 2 * PK, base),
    keysJson,
    newImageJson: eventName === 'REMOVE' || !hasNew ? null : part(text, spans, s + 2 * NEW_IMAGE, base),
    oldImageJson: spans[s + 2 * OLD_IMAGE]! >= 0 ? part(text, spans, s + 2 * OLD_IMAGE, base) : null,
  };
}

function part(text: string, spans: Int32Array, at: number, base: number): string {
  return text.slice(spans[at]! - base, spans[at + 1]! - base);
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= 0x39;
}

function sameBytes(a: Uint8Array, from: number, to: number, b: Uint8Array, bFrom: number, bTo: number): boolean {
  if (to - from !== bTo - bFrom) return false;
  for (let i = 0; i < to - from; i++) if (a[from + i] !== b[bFrom + i]) return false;
  return true;
}

const reader = new ByteReader();
