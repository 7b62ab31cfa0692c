import { describe, expect, it } from '@jest/globals';
import { csvField, csvLine, EXPORT_COLUMNS, jsonLine } from './audit-export.js';

describe('audit export formats', () => {
  it('quotes CSV fields that hold quotes, commas, line breaks or edge spaces, and only those', () => {
    expect(csvField('cp-it')).toBe('cp-it');
    expect(csvField('say "no"')).toBe('"say ""no"""');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField(' padded')).toBe('" padded"');
    expect(csvField(null)).toBe('');
    expect(csvField('')).toBe('');
    expect(csvLine(['1', '{"reason":"a, b"}', null])).toBe('1,"{""reason"":""a, b""}",\r\n');
  });

  it('writes one JSON object per line, with the detail as an object', () => {
    const row = EXPORT_COLUMNS.map((c) =>
      c === 'detail' ? '{"reason": "subscribed"}' : c === 'rule' ? null : c,
    );
    const parsed = JSON.parse(jsonLine(row)) as Record<string, unknown>;
    expect(parsed).toMatchObject({ seq: 'seq', detail: { reason: 'subscribed' }, rule: null });
    expect(Object.keys(parsed)).toEqual([...EXPORT_COLUMNS]);
  });
});
