import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { auditRowHash, canonicalJson, HASHED_FIELDS, type ChainedFields } from './audit-chain.js';
import { CopiedRowReader, CopyFormatError, copiedText } from './copy-rows.js';

/** Fixed, so that a failing property replays (fast-check logs it); MSX_PROPERTY_SEED explores other cases. */
const SEED = Number(process.env.MSX_PROPERTY_SEED ?? 150_913);

/** A column as PostgreSQL's COPY text format writes it: `\N` for null, these escapes, everything else raw. */
function copyColumn(v: string | null): string {
  if (v === null) return '\\N';
  const escapes: Record<string, string> = {
    '\\': '\\\\',
    '\b': '\\b',
    '\f': '\\f',
    '\n': '\\n',
    '\r': '\\r',
    '\t': '\\t',
    '\v': '\\v',
  };
  return v.replace(/[\\\b\f\n\r\t\v]/g, (c) => escapes[c]);
}

/** A row of CHAINED_SELECT as COPY writes it; `detailText` is the jsonb text, in whatever key order. */
function copyLine(f: ChainedFields, detailText: string, prevHash: string, rowHash: string): string {
  // CHAINED_SELECT: the hashed fields, then the chain's own hashes, then the publisher.
  const cols = [...HASHED_FIELDS.slice(0, -1).map((k) => f[k]), detailText, prevHash, rowHash, f.publisher];
  return `${cols.map(copyColumn).join('\t')}\n`;
}

const fields = (seq: number, over: Partial<ChainedFields> = {}): ChainedFields => ({
  seq: String(seq),
  eventId: '0193a1b2-0000-5000-8000-000000000001',
  occurredAtUs: '1767225600123456',
  recordedAtUs: '1767225600200000',
  operation: 'delivered',
  actorNode: 'msx-router',
  actorPerson: null,
  counterpartNode: 'cp-it',
  messageId: 'm-1',
  messageType: 'routeReport',
  handlingCode: 'H1',
  tlp: 'AMBER',
  messageSha256: 'a'.repeat(64),
  rule: 'POLICY.ALLOWED',
  justification: null,
  correlationId: 'corr-1',
  detail: '{"reason":"subscribed"}',
  publisher: 'msx-router',
  ...over,
});

const readAll = (chunks: Buffer[]) => {
  const reader = new CopiedRowReader();
  const rows = chunks.flatMap((c) => [...reader.push(c)]);
  reader.end();
  return rows;
};

describe('reading the trail from COPY text', () => {
  // Text PostgreSQL can hold: well-formed UTF-16 (no lone surrogate) without NUL.
  const text = fc
    .string({
      unit: fc.oneof(
        fc.constantFrom('\\', '"', '\t', '\n', '\r', '\b', '\f', '\v', '\u0001', '\u007f', 'N'),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
      ),
      maxLength: 10,
    })
    .filter((s) => !s.includes('\u0000'));
  const orNull = fc.option(text, { nil: null });

  it('hashes every row exactly as the chain writer did, whatever its characters (property)', () => {
    const detailValue = fc.dictionary(text, fc.oneof(text, fc.integer(), fc.array(text, { maxLength: 2 })), {
      maxKeys: 3,
    });
    fc.assert(
      fc.property(
        fc.record({ actorPerson: orNull, justification: orNull, correlationId: orNull, publisher: orNull }),
        text,
        detailValue,
        (over, operation, detail) => {
          const f = fields(7, { ...over, operation, detail: canonicalJson(detail) });
          const prev = 'c'.repeat(64);
          const rowHash = auditRowHash(prev, f);
          // jsonb writes keys in an order of its own; the reader must put them back in canonical order.
          const jsonbLike = JSON.stringify(Object.fromEntries(Object.entries(detail).reverse()));
          const [row] = readAll([Buffer.from(copyLine(f, jsonbLike, prev, rowHash), 'utf8')]);
          expect(row).toEqual({
            seq: '7',
            recordedAtUs: f.recordedAtUs,
            prevHash: prev,
            rowHash,
            contentHash: rowHash,
          });
        },
      ),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('reads the same rows however the stream is cut into chunks (property)', () => {
    const lines = Array.from({ length: 5 }, (_, i) => {
      const f = fields(i + 1, {
        justification: i % 2 ? 'é\t🚤\\' : null,
        publisher: i === 3 ? null : 'cp-it',
      });
      return copyLine(f, f.detail, '0'.repeat(64), auditRowHash('0'.repeat(64), f));
    });
    const whole = Buffer.from(lines.join(''), 'utf8');
    const expected = readAll([whole]);
    expect(expected.map((r) => r.seq)).toEqual(['1', '2', '3', '4', '5']);
    expect(expected.every((r) => r.contentHash === r.rowHash)).toBe(true);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: whole.length - 1 }), { maxLength: 8 }), (cuts) => {
        const at = [0, ...cuts.sort((a, b) => a - b), whole.length];
        const chunks = at.slice(1).map((end, i) => whole.subarray(at[i], end));
        expect(readAll(chunks)).toEqual(expected);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('hashes the stored prev_hash as it is, whether lowercase hex or not (property)', () => {
    const hashLike = (chars: string[]) =>
      fc.string({ unit: fc.constantFrom(...chars), minLength: 60, maxLength: 66 });
    fc.assert(
      fc.property(
        fc.oneof(hashLike([...'0123456789abcdef']), hashLike([...'0123456789abcdefABCDEFgz"'])),
        (prev) => {
          const f = fields(3);
          const [row] = readAll([Buffer.from(copyLine(f, f.detail, prev, 'a'.repeat(64)), 'utf8')]);
          expect(row.prevHash).toBe(prev);
          expect(row.contentHash).toBe(auditRowHash(prev, f));
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('tells a stored \\N from null, and a null detail reads as JSON null as the writer stores it', () => {
    const f = fields(1, { justification: '\\N', detail: 'null' });
    const line = copyLine(f, 'null', '0'.repeat(64), auditRowHash('0'.repeat(64), f));
    expect(line).toContain('\t\\\\N\t');
    const [row] = readAll([Buffer.from(line)]);
    expect(row.contentHash).toBe(row.rowHash);
    const sqlNull = line.replace('\tnull\t', '\t\\N\t');
    expect(sqlNull).not.toBe(line);
    expect(readAll([Buffer.from(sqlNull)])[0].contentHash).toBe(row.rowHash);
  });

  it('compares hash columns without the padding char(64) adds to a shorter value', () => {
    const f = fields(1);
    const line = copyLine(f, f.detail, `${'0'.repeat(60)}    `, 'abc   ');
    expect(readAll([Buffer.from(line)])[0]).toMatchObject({ prevHash: '0'.repeat(60), rowHash: 'abc' });
  });

  it('refuses a row with too few or too many columns, a stream ending inside a row, and an unknown escape', () => {
    const f = fields(1);
    const line = copyLine(f, f.detail, '0'.repeat(64), '1'.repeat(64));
    expect(() => readAll([Buffer.from(line.replace('\tcp-it', ''))])).toThrow(CopyFormatError);
    expect(() => readAll([Buffer.from(line.replace('\n', '\textra\n'))])).toThrow(
      'a copied row has more than 20 columns',
    );
    expect(() => readAll([Buffer.from(line.slice(0, -1))])).toThrow('the copied trail ends inside a row');
    expect(() => readAll([Buffer.from(line.replace('delivered', 'deli\\xvered'))])).toThrow(
      'unexpected COPY escape \\x',
    );
  });

  it('undoes COPY escapes in a column, and leaves a column without any as it is', () => {
    const buf = Buffer.from('a\\\\b\\tc\\nd\\re\\bf\\fg\\vh|plain é', 'utf8');
    const bar = buf.indexOf('|');
    expect(copiedText(buf, 0, bar)).toBe('a\\b\tc\nd\re\bf\fg\vh');
    expect(copiedText(buf, bar + 1, buf.length)).toBe('plain é');
  });
});
