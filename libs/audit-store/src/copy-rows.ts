import { hash } from 'node:crypto';
import { AUDIT_ROW_FORMAT, AUDIT_ROW_FORMAT_V1, canonicalJson, HASHED_FIELDS } from './audit-chain.js';

/**
 * Reading the trail as `COPY … TO STDOUT` text (one line a row, tab between columns, `\N` for null,
 * backslash escapes) and hashing each row straight from those bytes: the verifier makes no string per
 * column, which is where reading row objects spent most of its time (DESIGN §5, §8).
 *
 * The columns are those of {@link CHAINED_SELECT}: the chained fields of format v1 in hashed order
 * ({@link HASHED_FIELDS}, the detail last), then `prev_hash`, `row_hash` and `publisher`. The text hashed is byte for byte the UTF-8 of
 * {@link canonicalAuditRow}: every field a JSON string written as `JSON.stringify` writes it (PostgreSQL text
 * is valid UTF-8, so no lone surrogate can occur), the detail re-serialized canonically.
 */

// Column positions, from the hashed order that CHAINED_SELECT follows: the chained fields, the detail last
// among them, then the chain's own hashes and the publisher.
const RECORDED_AT = HASHED_FIELDS.indexOf('recordedAtUs');
const DETAIL = HASHED_FIELDS.indexOf('detail');
const PREV_HASH = HASHED_FIELDS.length;
const ROW_HASH = PREV_HASH + 1;
const PUBLISHER = PREV_HASH + 2;
/** Columns of a copied row. */
const COPY_COLUMNS = PREV_HASH + 3;

const TAB = 0x09;
const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const SPACE = 0x20;

/** What a COPY text escape `\x` stands for (PostgreSQL writes no octal or hex escapes on output). */
const COPY_ESCAPES: Record<number, number> = {
  0x62: 0x08, // \b
  0x66: 0x0c, // \f
  0x6e: 0x0a, // \n
  0x72: 0x0d, // \r
  0x74: 0x09, // \t
  0x76: 0x0b, // \v
  0x5c: 0x5c, // \\
};

/** 1 for the bytes a COPY text column and its JSON string both hold as they are (no escape either way). */
const WRITTEN_AS_IS = new Uint8Array(256).map((_, b) => (b >= 0x20 && b !== 0x22 && b !== 0x5c ? 1 : 0));

/** The short escapes of `JSON.stringify` for control characters; the others become `\u00XX`. */
const JSON_SHORT: Record<number, number> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72 };
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const V1_OPENING = Buffer.from(`[${JSON.stringify(AUDIT_ROW_FORMAT_V1)},`, 'utf8');
const V2_OPENING = Buffer.from(`[${JSON.stringify(AUDIT_ROW_FORMAT)},`, 'utf8');

/** A copied row as the verifier checks it: its seq and hashes as stored, and the hash of its content. */
export interface CopiedRow {
  seq: string;
  /** `recorded_at` in decimal microseconds since the epoch: with `seq`, the row's place in the trail. */
  recordedAtUs: string;
  prevHash: string;
  rowHash: string;
  /** hex SHA-256 of the row's canonical serialization, computed from what was read. */
  contentHash: string;
}

/** Thrown for bytes that are not a row of {@link CHAINED_SELECT} in COPY text format. */
export class CopyFormatError extends Error {}

/**
 * Turns the chunks of a COPY text stream into rows, whatever the chunk boundaries, and hashes each row.
 * One scratch buffer holds the serialization of the row being hashed; it grows for a larger row.
 */
export class CopiedRowReader {
  private rest: Buffer | undefined;
  private scratch = Buffer.allocUnsafe(64 * 1024);
  private readonly starts = new Int32Array(COPY_COLUMNS + 1);

  /** The complete rows in `chunk` (and the partial row kept from the chunk before). */
  *push(chunk: Buffer): Generator<CopiedRow> {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = undefined;
    let start = 0;
    for (;;) {
      const end = this.split(buf, start);
      if (end < 0) break;
      yield this.row(buf, start, end);
      start = end + 1;
    }
    if (start < buf.length) this.rest = Buffer.from(buf.subarray(start));
  }

  /** Throws when the stream ended inside a row. */
  end(): void {
    if (this.rest) throw new CopyFormatError('the copied trail ends inside a row');
  }

  /**
   * Finds the columns of the row at `start` in one pass over its bytes (a loop here costs less than a native
   * search per column): the position of its newline, their starts in `starts`, or -1 when the row is not
   * complete in `buf`.
   */
  private split(buf: Buffer, start: number): number {
    const starts = this.starts;
    starts[0] = start;
    let k = 1;
    const length = buf.length;
    for (let i = start; i < length; i++) {
      const b = buf[i];
      if (b === TAB) {
        if (k === COPY_COLUMNS)
          throw new CopyFormatError(`a copied row has more than ${COPY_COLUMNS} columns`);
        starts[k++] = i + 1;
      } else if (b === NEWLINE) {
        if (k < COPY_COLUMNS) throw new CopyFormatError(`a copied row has ${k} columns, not ${COPY_COLUMNS}`);
        starts[COPY_COLUMNS] = i + 1;
        return i;
      }
    }
    return -1;
  }

  /** The row `buf[start, end)`, its column starts found by {@link split}. */
  private row(buf: Buffer, start: number, end: number): CopiedRow {
    const starts = this.starts;
    const fieldEnd = (k: number) => starts[k + 1] - 1;

    // The worst case writes 6 bytes per byte read (a control character as \u00XX), plus the framing.
    const needed = 6 * (end - start) + 128;
    if (this.scratch.length < needed) this.scratch = Buffer.allocUnsafe(needed * 2);
    const out = this.scratch;

    const publisherNull = isNull(buf, starts[PUBLISHER], fieldEnd(PUBLISHER));
    let pos = (publisherNull ? V1_OPENING : V2_OPENING).copy(out, 0);
    const prevHash = hashText(buf, starts[PREV_HASH], fieldEnd(PREV_HASH));
    const hexWritten = writeHexHash(out, pos, buf, starts[PREV_HASH], fieldEnd(PREV_HASH));
    pos = hexWritten >= 0 ? hexWritten : pos + out.write(JSON.stringify(prevHash), pos, 'utf8');
    for (let k = 0; k < DETAIL; k++) {
      out[pos++] = 0x2c; // ,
      pos = writeJsonField(out, pos, buf, starts[k], fieldEnd(k));
    }
    out[pos++] = 0x2c;
    pos = writeDetailField(out, pos, buf, starts[DETAIL], fieldEnd(DETAIL));
    if (!publisherNull) {
      out[pos++] = 0x2c;
      pos = writeJsonField(out, pos, buf, starts[PUBLISHER], fieldEnd(PUBLISHER));
    }
    out[pos++] = 0x5d; // ]
    return {
      seq: buf.toString('latin1', starts[0], fieldEnd(0)),
      recordedAtUs: buf.toString('latin1', starts[RECORDED_AT], fieldEnd(RECORDED_AT)),
      prevHash,
      rowHash: hashText(buf, starts[ROW_HASH], fieldEnd(ROW_HASH)),
      contentHash: hash('sha256', out.subarray(0, pos), 'hex'),
    };
  }
}

/** True for the column text `\N` (null); a stored `\N` is copied as `\\N`. */
function isNull(buf: Buffer, start: number, end: number): boolean {
  return end - start === 2 && buf[start] === BACKSLASH && buf[start + 1] === 0x4e;
}

/** 1 for the bytes of a hash as the chain stores it: lowercase hex digits. */
const HEX_DIGIT = new Uint8Array(256).map((_, b) =>
  (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) ? 1 : 0,
);

/**
 * Writes a column of 64 lowercase hex digits as its JSON string, its bytes in quotes, and returns the position
 * after it; -1 for any other column (then what it wrote does not count).
 */
function writeHexHash(out: Buffer, pos: number, buf: Buffer, start: number, end: number): number {
  if (end - start !== 64) return -1;
  out[pos++] = QUOTE;
  for (let i = start; i < end; i++) {
    const b = buf[i];
    if (HEX_DIGIT[b] !== 1) return -1;
    out[pos++] = b;
  }
  out[pos++] = QUOTE;
  return pos;
}

/** A `char(64)` hash column as the verifier compares it: without the padding PostgreSQL adds to a shorter one. */
function hashText(buf: Buffer, start: number, end: number): string {
  let e = end;
  while (e > start && buf[e - 1] === SPACE) e--;
  return buf.toString('utf8', start, e);
}

/** The text of a column, its COPY escapes undone. */
export function copiedText(buf: Buffer, start: number, end: number): string {
  const slash = buf.indexOf(BACKSLASH, start);
  if (slash < 0 || slash >= end) return buf.toString('utf8', start, end);
  const bytes = Buffer.allocUnsafe(end - start);
  let n = 0;
  for (let i = start; i < end; i++) {
    const b = buf[i];
    bytes[n++] = b === BACKSLASH ? unescaped(buf[++i]) : b;
  }
  return bytes.toString('utf8', 0, n);
}

function unescaped(b: number): number {
  const c = COPY_ESCAPES[b];
  if (c === undefined) throw new CopyFormatError(`unexpected COPY escape \\${String.fromCharCode(b)}`);
  return c;
}

/**
 * The detail column (jsonb text) in canonical JSON. A SQL null reads as JSON `null`, as it always has (the
 * writer stores an absent detail as the jsonb `null`).
 */
function canonicalDetail(buf: Buffer, start: number, end: number): string {
  if (isNull(buf, start, end)) return 'null';
  if (end - start === 2 && buf[start] === 0x7b && buf[start + 1] === 0x7d) return '{}';
  return canonicalJson(JSON.parse(copiedText(buf, start, end)));
}

/**
 * Writes the column `buf[start, end)` (COPY text) as `JSON.stringify` writes the string it stands for, or
 * `null`; returns the position after it.
 */
function writeJsonField(out: Buffer, pos: number, buf: Buffer, start: number, end: number): number {
  if (isNull(buf, start, end)) return pos + out.write('null', pos, 'latin1');
  out[pos++] = QUOTE;
  // Most columns hold nothing to escape, and are short: their bytes up to the first that needs care are copied
  // here, which costs less than a native copy per column.
  let plain = start;
  for (let b = buf[plain]; plain < end && WRITTEN_AS_IS[b] === 1; b = buf[++plain]) out[pos++] = b;
  for (let i = plain; i < end; i++) {
    let b = buf[i];
    if (b === BACKSLASH) b = unescaped(buf[++i]);
    if (b >= SPACE && b !== QUOTE && b !== BACKSLASH) {
      out[pos++] = b;
      continue;
    }
    out[pos++] = BACKSLASH;
    if (b === QUOTE || b === BACKSLASH) out[pos++] = b;
    else if (JSON_SHORT[b] !== undefined) out[pos++] = JSON_SHORT[b];
    else {
      out[pos++] = 0x75; // u
      out[pos++] = 0x30;
      out[pos++] = 0x30;
      out[pos++] = HEX_DIGITS[b >> 4];
      out[pos++] = HEX_DIGITS[b & 15];
    }
  }
  out[pos++] = QUOTE;
  return pos;
}

/**
 * Writes the detail column (jsonb text in COPY text) as the row's serialization holds it, the JSON string of
 * its canonical JSON: `JSON.stringify(canonicalJson(JSON.parse(detail)))`. Returns the position after it.
 *
 * Straight from the bytes when the text is one {@link JsonbText} can read, else through `JSON.parse`. jsonb's
 * text is already JSON as `JSON.stringify` writes strings (the same escapes, in lowercase hex, and no lone
 * surrogates in PostgreSQL text): only the spaces after `:` and `,` go, and the keys of each object, which jsonb
 * orders by length, are put in code unit order.
 */
export function writeDetailField(out: Buffer, pos: number, buf: Buffer, start: number, end: number): number {
  const written = isNull(buf, start, end) ? -1 : detailFromJsonbText(out, pos, buf, start, end);
  if (written >= 0) return written;
  return pos + out.write(JSON.stringify(canonicalDetail(buf, start, end)), pos, 'utf8');
}

/** Nesting deeper than this is left to `JSON.parse`. */
const MAX_DEPTH = 64;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;
const MINUS = 0x2d;
const isDigit = (b: number) => b >= 0x30 && b <= 0x39;

/**
 * A reader of jsonb output text as COPY writes it (a JSON backslash doubled), writing the JSON string of its
 * canonical JSON. It gives up (-1) on anything it cannot be sure to write exactly as `JSON.stringify` of the
 * parsed value would: a number that is not a short integer (`1.0` reads back as `1`), a key with an escape
 * or a non-ASCII character (whose order by bytes may not be code unit order), or deep nesting.
 */
class JsonbText {
  private src: Buffer = Buffer.alloc(0);
  private end = 0;
  private out: Buffer = Buffer.alloc(0);
  private pos = 0;

  write(out: Buffer, pos: number, src: Buffer, start: number, end: number): number {
    this.src = src;
    this.end = end;
    this.out = out;
    this.pos = pos;
    out[this.pos++] = QUOTE;
    const next = this.value(start, true, 0);
    if (next !== end) return -1;
    out[this.pos++] = QUOTE;
    return this.pos;
  }

  /** Reads (and writes, when `emit`) the value at `i`; the position after it, or -1. */
  private value(i: number, emit: boolean, depth: number): number {
    if (i >= this.end) return -1;
    const b = this.src[i];
    if (b === QUOTE) return this.string(i, emit, false);
    if (b === OPEN_BRACE) return depth >= MAX_DEPTH ? -1 : this.object(i, emit, depth + 1);
    if (b === OPEN_BRACKET) return depth >= MAX_DEPTH ? -1 : this.array(i, emit, depth + 1);
    if (b === MINUS || isDigit(b)) return this.number(i, emit);
    for (const word of LITERALS) {
      if (i + word.length <= this.end && this.src.compare(word, 0, word.length, i, i + word.length) === 0) {
        if (emit) this.pos += word.copy(this.out, this.pos);
        return i + word.length;
      }
    }
    return -1;
  }

  private number(i: number, emit: boolean): number {
    let j = i;
    if (this.src[j] === MINUS) j++;
    const first = j;
    while (j < this.end && isDigit(this.src[j])) j++;
    const n = j - first;
    // 0 alone, or no leading zero; at most 15 digits, so it is a safe integer written back the same.
    if (n === 0 || n > 15 || (this.src[first] === 0x30 && (n > 1 || first > i))) return -1;
    const after = this.src[j];
    if (j < this.end && after !== COMMA && after !== CLOSE_BRACE && after !== CLOSE_BRACKET) return -1;
    if (emit) this.pos += this.src.copy(this.out, this.pos, i, j);
    return j;
  }

  /** A string; in the output every `"` and `\` of its JSON text is escaped once more. */
  private string(i: number, emit: boolean, key: boolean): number {
    const src = this.src;
    const out = this.out;
    if (emit) {
      out[this.pos++] = BACKSLASH;
      out[this.pos++] = QUOTE;
    }
    let j = i + 1;
    for (;;) {
      if (j >= this.end) return -1;
      const b = src[j];
      if (b === QUOTE) break;
      if (b < SPACE || (key && b >= 0x80)) return -1;
      if (b !== BACKSLASH) {
        if (emit) out[this.pos++] = b;
        j++;
        continue;
      }
      // A JSON escape: its backslash doubled by COPY, then the escaped character (a backslash doubled again).
      if (key || src[j + 1] !== BACKSLASH) return -1;
      const c = src[j + 2];
      let len: number;
      if (c === BACKSLASH) {
        if (src[j + 3] !== BACKSLASH) return -1;
        len = 4;
      } else if (c === 0x75) {
        if (!isControlEscape(src, j + 3)) return -1;
        len = 7; // \u and four hex digits
      } else if (c === QUOTE || JSON_ESCAPED.has(c)) len = 3;
      else return -1;
      if (j + len > this.end) return -1;
      if (emit) {
        out[this.pos++] = BACKSLASH;
        out[this.pos++] = BACKSLASH; // the JSON backslash, escaped
        if (c === BACKSLASH || c === QUOTE) out[this.pos++] = BACKSLASH;
        out[this.pos++] = c;
        if (c === 0x75) for (let k = 3; k < 7; k++) out[this.pos++] = src[j + k];
      }
      j += len;
    }
    if (emit) {
      out[this.pos++] = BACKSLASH;
      out[this.pos++] = QUOTE;
    }
    return j + 1;
  }

  private array(i: number, emit: boolean, depth: number): number {
    if (emit) this.out[this.pos++] = OPEN_BRACKET;
    let j = i + 1;
    if (this.src[j] === CLOSE_BRACKET) {
      if (emit) this.out[this.pos++] = CLOSE_BRACKET;
      return j + 1;
    }
    for (;;) {
      j = this.value(j, emit, depth);
      if (j < 0 || j >= this.end) return -1;
      const b = this.src[j];
      if (b === CLOSE_BRACKET) break;
      if (b !== COMMA || this.src[j + 1] !== SPACE) return -1;
      if (emit) this.out[this.pos++] = COMMA;
      j += 2;
    }
    if (emit) this.out[this.pos++] = CLOSE_BRACKET;
    return j + 1;
  }

  /**
   * An object. Written as it is read while its keys come in code unit order; at the first key out of order
   * (jsonb orders keys by length first) it is read again and written in the order of its keys.
   */
  private object(i: number, emit: boolean, depth: number): number {
    const opening = this.pos;
    if (emit) this.out[this.pos++] = OPEN_BRACE;
    let j = i + 1;
    let inOrder = true;
    let keyBefore = -1;
    let keyBeforeEnd = -1;
    const members: number[] = []; // key start, key end (after its quote), value start
    if (this.src[j] !== CLOSE_BRACE) {
      for (;;) {
        if (this.src[j] !== QUOTE) return -1;
        const keyEnd = this.string(j, false, true);
        if (keyEnd < 0 || this.src[keyEnd] !== COLON || this.src[keyEnd + 1] !== SPACE) return -1;
        members.push(j, keyEnd, keyEnd + 2);
        // Keys are ASCII without escapes here: their bytes (inside the quotes) compare as their code units do.
        if (
          inOrder &&
          keyBefore >= 0 &&
          this.src.compare(this.src, keyBefore + 1, keyBeforeEnd - 1, j + 1, keyEnd - 1) < 0
        )
          inOrder = false;
        keyBefore = j;
        keyBeforeEnd = keyEnd;
        const writing = emit && inOrder;
        if (writing) {
          if (members.length > 3) this.out[this.pos++] = COMMA;
          this.string(j, true, true);
          this.out[this.pos++] = COLON;
        }
        j = this.value(keyEnd + 2, writing, depth);
        if (j < 0 || j >= this.end) return -1;
        const b = this.src[j];
        if (b === CLOSE_BRACE) break;
        if (b !== COMMA || this.src[j + 1] !== SPACE) return -1;
        j += 2;
      }
    }
    if (!emit) return j + 1;
    if (!inOrder) {
      const order = Array.from({ length: members.length / 3 }, (_, k) => k * 3);
      order.sort((a, b) =>
        this.src.compare(this.src, members[b] + 1, members[b + 1] - 1, members[a] + 1, members[a + 1] - 1),
      );
      this.pos = opening + 1;
      for (let k = 0; k < order.length; k++) {
        const m = order[k];
        if (k > 0) this.out[this.pos++] = COMMA;
        this.string(members[m], true, true);
        this.out[this.pos++] = COLON;
        this.value(members[m + 2], true, depth);
      }
    }
    this.out[this.pos++] = CLOSE_BRACE;
    return j + 1;
  }
}

const LITERALS = ['true', 'false', 'null'].map((w) => Buffer.from(w, 'latin1'));
/** The short escapes `JSON.stringify` writes (b, f, n, r, t), as jsonb does; `"` and `\\` aside. */
const JSON_ESCAPED = new Set([0x62, 0x66, 0x6e, 0x72, 0x74]);
const isLowerHex = (b: number) => isDigit(b) || (b >= 0x61 && b <= 0x66);

/**
 * True when the four characters at `k` are those `JSON.stringify` writes after `\u`: `00` and a control
 * character in lowercase hex, one without a short escape.
 */
function isControlEscape(src: Buffer, k: number): boolean {
  if (src[k] !== 0x30 || src[k + 1] !== 0x30 || (src[k + 2] !== 0x30 && src[k + 2] !== 0x31)) return false;
  if (!isLowerHex(src[k + 3])) return false;
  const code = (src[k + 2] - 0x30) * 16 + (isDigit(src[k + 3]) ? src[k + 3] - 0x30 : src[k + 3] - 0x57);
  return JSON_SHORT[code] === undefined;
}
const JSONB_TEXT = new JsonbText();

/**
 * {@link writeDetailField} straight from the jsonb text `buf[start, end)`: the position after what it wrote,
 * or -1 when the text is not one it can be sure of (then nothing it wrote counts).
 */
export function detailFromJsonbText(
  out: Buffer,
  pos: number,
  buf: Buffer,
  start: number,
  end: number,
): number {
  return JSONB_TEXT.write(out, pos, buf, start, end);
}
