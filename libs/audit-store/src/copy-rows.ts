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
      const end = buf.indexOf(NEWLINE, start);
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

  private row(buf: Buffer, start: number, end: number): CopiedRow {
    const starts = this.starts;
    starts[0] = start;
    for (let k = 1; k < COPY_COLUMNS; k++) {
      const tab = buf.indexOf(TAB, starts[k - 1]);
      if (tab < 0 || tab >= end)
        throw new CopyFormatError(`a copied row has ${k} columns, not ${COPY_COLUMNS}`);
      starts[k] = tab + 1;
    }
    const extra = buf.indexOf(TAB, starts[COPY_COLUMNS - 1]);
    if (extra >= 0 && extra < end)
      throw new CopyFormatError(`a copied row has more than ${COPY_COLUMNS} columns`);
    starts[COPY_COLUMNS] = end + 1;
    const fieldEnd = (k: number) => starts[k + 1] - 1;

    // The worst case writes 6 bytes per byte read (a control character as \u00XX), plus the framing.
    const needed = 6 * (end - start) + 128;
    if (this.scratch.length < needed) this.scratch = Buffer.allocUnsafe(needed * 2);
    const out = this.scratch;

    const publisherNull = isNull(buf, starts[PUBLISHER], fieldEnd(PUBLISHER));
    let pos = (publisherNull ? V1_OPENING : V2_OPENING).copy(out, 0);
    const prevHash = hashText(buf, starts[PREV_HASH], fieldEnd(PREV_HASH));
    pos += out.write(JSON.stringify(prevHash), pos, 'utf8');
    for (let k = 0; k < DETAIL; k++) {
      out[pos++] = 0x2c; // ,
      pos = writeJsonField(out, pos, buf, starts[k], fieldEnd(k));
    }
    out[pos++] = 0x2c;
    pos += out.write(JSON.stringify(canonicalDetail(buf, starts[DETAIL], fieldEnd(DETAIL))), pos, 'utf8');
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
  for (let i = start; i < end; i++) {
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
