import { describe, expect, it } from '@jest/globals';
import { create } from '@bufbuild/protobuf';
import { AuditOperation, EnvelopeSchema, Purpose, type UseOfItems } from '#contracts';
import { purposeWithheld } from './purpose-limitation.js';

const correlation: UseOfItems = { name: 'selector-index', serves: [Purpose.CRIMINAL_INVESTIGATION] };
const lead = (purposes: Purpose[] = []) =>
  create(EnvelopeSchema, { purposes, payload: { case: 'financialLead', value: {} } });

describe('purpose limitation at the node', () => {
  it('lets an item be put to a use one of its purposes covers, stated or by default', () => {
    expect(purposeWithheld(lead(), correlation)).toBeNull();
    expect(purposeWithheld(lead([Purpose.CRIMINAL_INVESTIGATION]), correlation)).toBeNull();
  });

  it('audits an item kept out of a use as withheld, once per use, naming what each side serves', () => {
    expect(purposeWithheld(lead([Purpose.FINANCIAL_INVESTIGATION]), correlation)).toEqual({
      operation: AuditOperation.WITHHELD,
      key: 'purpose:selector-index',
      rule: 'NODE.PURPOSE_NOT_COVERED',
      detail: {
        use: 'selector-index',
        serves: ['criminal-investigation'],
        purposes: ['financial-investigation'],
        statement:
          'selector-index serves criminal-investigation; the item serves financial-investigation as its sender stated',
      },
    });
  });

  it('names the party the use would have told, when there is one', () => {
    expect(purposeWithheld(lead([Purpose.RISK_ANALYSIS]), correlation, 'hit-no-hit')?.counterpart).toBe(
      'hit-no-hit',
    );
  });
});
