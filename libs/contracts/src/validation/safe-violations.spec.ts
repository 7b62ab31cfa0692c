import { describe, expect, it } from '@jest/globals';
import { getMetadataStorage } from 'class-validator';
import * as contract from './index.js';
import { CLASS_VALIDATOR_RULES, isCatalogueRule } from './rule-names.js';
import {
  knownFieldPath,
  MAX_VIOLATION_MESSAGE_LENGTH,
  safeViolation,
  safeViolations,
} from './safe-violations.js';

const PHONE = '+393331234567';
const NAME = 'Mario Rossi';

describe('knownFieldPath', () => {
  it.each([
    '',
    'id',
    'recipients[2]',
    'evaluation.sourceReliability',
    'routeReport.segments[0].fromCountry',
    'financialLead.payments[12].executedAt',
    'crossCheckRequest.selectors[1]',
    'deliveryReceipt.decisions[0].rule',
    'suspectVesselReport.imoNumber',
    'created_at',
    '__proto__',
    'routeReport.constructor',
    // a 6-digit index: an oversized list is still checked element by element
    'recipients[123456]',
  ])('keeps %j, which names only fields of the contract', (field) => {
    expect(knownFieldPath(field)).toEqual({ path: field, known: true });
  });

  it.each([
    [PHONE, ''],
    [`routeReport.${PHONE}`, 'routeReport'],
    [`routeReport.segments[0].${NAME}`, 'routeReport.segments[0]'],
    [`${NAME}.__proto__`, ''],
    ['routeReport[0]', 'routeReport'],
    ['recipients[1].fromCountry', 'recipients[1]'],
    ['recipients[1][2]', 'recipients[1]'],
    ['recipients[1234567]', 'recipients'],
    ['createdAt.seconds', 'createdAt'],
    ['created_at.nanos', 'created_at'],
    // a proto name ends the path even where the field it names holds fields
    ['route_report.segments', 'route_report'],
    // an index needs a list before it
    ['[0]', ''],
    ['__proto__.tlp', '__proto__'],
    ['routeReport..segments', 'routeReport'],
    ['id ', ''],
    ['routeReport.segments[0] ', 'routeReport.segments[0]'],
    // a timestamp or a list of text holds no fields, not even the keys class-transformer drops
    ['createdAt.__proto__', 'createdAt'],
    ['recipients[0].constructor', 'recipients[0]'],
  ])('cuts %j where the unknown part starts, at %j', (field, path) => {
    expect(knownFieldPath(field)).toEqual({ path, known: false });
  });
});

describe('safeViolation', () => {
  it('keeps a violation of a known field under a catalogue rule as it is', () => {
    const v = { field: 'suspectVesselReport.imoNumber', rule: 'imoCheckDigit', message: 'bad check digit' };
    expect(safeViolation(v)).toEqual(v);
  });

  it('reports a path through an unknown key as unknownProperty at the known parent, repeating neither key nor value', () => {
    const safe = safeViolation({
      field: `routeReport.${PHONE}`,
      rule: 'isString',
      message: `routeReport.${PHONE} must be a string, not ${NAME}`,
    });
    expect(safe).toEqual({
      field: 'routeReport',
      rule: 'unknownProperty',
      message: 'routeReport holds a property the contract does not define',
    });
  });

  it('replaces a rule name outside the catalogue', () => {
    expect(safeViolation({ field: 'id', rule: NAME, message: 'x' }).rule).toBe('unnamedRule');
  });

  it('keeps a message of exactly the bound whole, and marks a cut one with an ellipsis', () => {
    const whole = 'm'.repeat(MAX_VIOLATION_MESSAGE_LENGTH);
    expect(safeViolation({ field: 'purpose', rule: 'maxLength', message: whole }).message).toBe(whole);
    const cut = safeViolation({ field: 'purpose', rule: 'maxLength', message: `${whole}m` }).message;
    expect(cut).toBe(`${'m'.repeat(MAX_VIOLATION_MESSAGE_LENGTH - 1)}…`);
  });

  it('reports an unknown key of the envelope itself as a property of the message', () => {
    expect(safeViolation({ field: PHONE, rule: 'isString', message: NAME })).toEqual({
      field: '',
      rule: 'unknownProperty',
      message: 'the message holds a property the contract does not define',
    });
  });

  it.each([...CLASS_VALIDATOR_RULES, 'protobufDecode', 'officerNotOfNode'])(
    'keeps the rule name %s, which callers map to error codes',
    (rule) => {
      expect(safeViolation({ field: 'id', rule, message: 'x' }).rule).toBe(rule);
    },
  );

  it('bounds the message', () => {
    const safe = safeViolation({ field: 'purpose', rule: 'maxLength', message: 'm'.repeat(5000) });
    expect(safe.message).toHaveLength(MAX_VIOLATION_MESSAGE_LENGTH);
  });

  it('bounds the field path', () => {
    const safe = safeViolation({ field: `recipients[0]${'.id'.repeat(100)}`, rule: 'uuid', message: '' });
    expect(safe.field).toBe('recipients[0]');
    expect(safe.rule).toBe('unknownProperty');
  });

  it('accepts extra fields its caller defines, as whole fields only', () => {
    const options = { extraFields: new Set(['x-msx-officer']) };
    expect(safeViolation({ field: 'x-msx-officer', rule: 'officerNotOfNode', message: '' }, options)).toEqual(
      { field: 'x-msx-officer', rule: 'officerNotOfNode', message: '' },
    );
    expect(
      safeViolation({ field: `x-msx-officer.${PHONE}`, rule: 'officerNotOfNode', message: '' }, options),
    ).toMatchObject({
      field: '',
      rule: 'unknownProperty',
    });
  });

  it('copes with values that are not text, as a violation built from parsed input could hold', () => {
    const safe = safeViolation({ field: 42, rule: {}, message: null } as never);
    expect(safe).toEqual({ field: '', rule: 'unnamedRule', message: '' });
    const listed = safeViolation({ field: ['routeReport'], rule: 'required', message: 'm' } as never);
    expect(listed).toEqual({ field: '', rule: 'required', message: 'm' });
  });
});

describe('safeViolations', () => {
  it('reports each distinct violation once, in first order', () => {
    const list = safeViolations([
      { field: `routeReport.${PHONE}`, rule: 'unknownProperty', message: '' },
      { field: 'id', rule: 'uuid', message: 'must be a UUID' },
      { field: `routeReport.${NAME}`, rule: 'unknownProperty', message: '' },
    ]);
    expect(list.map(({ field, rule }) => ({ field, rule }))).toEqual([
      { field: 'routeReport', rule: 'unknownProperty' },
      { field: 'id', rule: 'uuid' },
    ]);
    expect(JSON.stringify(list)).not.toMatch(/Mario|Rossi|393331234567/);
  });
});

describe('the rule catalogue', () => {
  it('holds the name of every constraint the DTOs use, so no real rule is reported as unnamedRule', () => {
    const storage = getMetadataStorage();
    const dtos = Object.values(contract).filter(
      (value): value is new () => object => typeof value === 'function' && value.name.endsWith('Dto'),
    );
    expect(dtos.length).toBeGreaterThan(20);
    const names = new Set<string>();
    for (const dto of dtos) {
      for (const metadata of storage.getTargetValidationMetadatas(dto, '', true, false)) {
        if (metadata.constraintCls === undefined) continue;
        for (const constraint of storage.getTargetValidatorConstraints(metadata.constraintCls))
          if (constraint.name !== undefined) names.add(constraint.name);
      }
    }
    // `nestedValidation` is dropped by flattenErrors; every other name is reported as it is.
    names.delete('nestedValidation');
    expect([...names].filter((name) => !isCatalogueRule(name))).toEqual([]);
  });
});
