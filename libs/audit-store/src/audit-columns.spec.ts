import { describe, expect, it } from '@jest/globals';
import { getMetadataArgsStorage } from 'typeorm';
import { AUDIT_COLUMNS, AUDIT_FIELDS, exactText, fieldsOfFormat, HASH_COLUMNS } from './audit-columns.js';
import { AuditEntryEntity } from './audit-entry.entity.js';
import { EXPORT_COLUMNS } from './audit-export.js';
import { CHAINED_FIELDS_SELECT, CHAINED_SELECT } from './chained-row.js';

/** The entity's columns: property name → SQL name, as TypeORM will create them. */
const entityColumns = () =>
  new Map(
    getMetadataArgsStorage()
      .columns.filter((c) => c.target === AuditEntryEntity)
      .map((c) => [c.propertyName, c.options.name ?? c.propertyName]),
  );

describe('the audit row columns', () => {
  it('name every column of the entity once, under the same property and SQL names', () => {
    const entity = entityColumns();
    const declared = new Map<string, string>([
      ...AUDIT_FIELDS.map((f): [string, string] => [f, AUDIT_COLUMNS[f].name]),
      ['prevHash', 'prev_hash'],
      ['rowHash', 'row_hash'],
    ]);
    expect(Object.fromEntries(entity)).toEqual(Object.fromEntries(declared));
  });

  it('keep the hashed columns of format v1 apart from the publisher of format v2', () => {
    expect(fieldsOfFormat('v2')).toEqual(['publisher']);
    expect(fieldsOfFormat('v1')).toHaveLength(AUDIT_FIELDS.length - 1);
  });

  it('read the chained columns in ChainedFields order, then the hashes, then the publisher', () => {
    expect(CHAINED_FIELDS_SELECT.split(', ')).toEqual(fieldsOfFormat('v1').map(exactText));
    expect(CHAINED_FIELDS_SELECT).not.toContain('publisher');
    expect(CHAINED_SELECT).toBe(`${CHAINED_FIELDS_SELECT}, prev_hash, row_hash, publisher`);
    expect(CHAINED_FIELDS_SELECT.split(', ').slice(0, 4)).toEqual([
      'seq::text AS seq_text',
      'event_id::text AS event_id_text',
      '(extract(epoch FROM occurred_at) * 1000000)::int8::text AS occurred_at_us',
      '(extract(epoch FROM recorded_at) * 1000000)::int8::text AS recorded_at_us',
    ]);
    expect(CHAINED_FIELDS_SELECT.split(', ').at(-1)).toBe('detail::text AS detail_text');
  });

  it('export every column, publisher third as auditors have always had it, and the hashes last', () => {
    expect(EXPORT_COLUMNS).toEqual([
      'seq',
      'event_id',
      'publisher',
      'occurred_at',
      'recorded_at',
      'operation',
      'actor_node',
      'actor_person',
      'counterpart_node',
      'message_id',
      'message_type',
      'handling_code',
      'tlp',
      'message_sha256',
      'rule',
      'justification',
      'correlation_id',
      'detail',
      ...HASH_COLUMNS,
    ]);
  });
});
