import { describe, expect, it } from '@jest/globals';
import { create } from '@bufbuild/protobuf';
import { Purpose } from './gen/msx/v1/common_pb.js';
import { EnvelopeSchema, type Envelope } from './gen/msx/v1/envelope_pb.js';
import { PUBLISHABLE_TYPES, type ItemType } from './payload-kinds.js';
import {
  DEFAULT_PURPOSES,
  purposeLabel,
  purposeOfLabel,
  purposeRefusal,
  purposesOf,
  type UseOfItems,
} from './purposes.js';

const routeReport = (purposes: Purpose[] = []): Envelope =>
  create(EnvelopeSchema, { purposes, payload: { case: 'routeReport', value: {} } });

const watchList: UseOfItems = {
  name: 'vessel-watch-list',
  serves: [Purpose.CRIMINAL_INVESTIGATION, Purpose.BORDER_MANAGEMENT],
};

describe('the purposes an item serves', () => {
  it('are those its sender named, else its type defaults; a control message serves none', () => {
    expect(purposesOf(routeReport([Purpose.RISK_ANALYSIS]))).toEqual([Purpose.RISK_ANALYSIS]);
    expect(purposesOf(routeReport())).toEqual(DEFAULT_PURPOSES.routeReport);
    expect(purposesOf(create(EnvelopeSchema, { payload: { case: 'acknowledgement', value: {} } }))).toEqual(
      [],
    );
    expect(purposesOf(create(EnvelopeSchema, {}))).toEqual([]);
  });

  it('never open an item to judicial proceedings by default, and give every item type at least one', () => {
    for (const type of PUBLISHABLE_TYPES as ItemType[]) {
      expect(DEFAULT_PURPOSES[type].length).toBeGreaterThan(0);
      expect(DEFAULT_PURPOSES[type]).not.toContain(Purpose.JUDICIAL_PROCEEDINGS);
    }
    expect(DEFAULT_PURPOSES.financialLead).toContain(Purpose.FINANCIAL_INVESTIGATION);
    expect(DEFAULT_PURPOSES.internetContentReferral).toContain(Purpose.CONTENT_REMOVAL);
  });

  it('have labels that read back', () => {
    expect(purposeLabel(Purpose.CRIMINAL_INVESTIGATION)).toBe('criminal-investigation');
    expect(purposeOfLabel('border-management')).toBe(Purpose.BORDER_MANAGEMENT);
    expect(purposeOfLabel('unspecified')).toBeUndefined();
    expect(purposeOfLabel('surveillance')).toBeUndefined();
    expect(purposeLabel(99 as Purpose)).toBe('99');
  });
});

describe('purposeRefusal', () => {
  it('lets an item be put to a use one of its purposes covers', () => {
    expect(purposeRefusal(routeReport([Purpose.BORDER_MANAGEMENT]), watchList)).toBeNull();
    expect(purposeRefusal(routeReport(), watchList)).toBeNull();
  });

  it('names the use, what it serves and what the item serves, and whether the sender said so', () => {
    expect(purposeRefusal(routeReport([Purpose.RISK_ANALYSIS]), watchList)).toBe(
      'vessel-watch-list serves criminal-investigation, border-management; the item serves risk-analysis as its sender stated',
    );
    const analysis: UseOfItems = { name: 'joint-analysis', serves: [Purpose.RISK_ANALYSIS] };
    const lead = create(EnvelopeSchema, { payload: { case: 'financialLead', value: {} } });
    expect(purposeRefusal(lead, analysis)).toBe(
      'joint-analysis serves risk-analysis; the item serves criminal-investigation, financial-investigation by default for its type',
    );
    const ack = create(EnvelopeSchema, { payload: { case: 'acknowledgement', value: {} } });
    expect(purposeRefusal(ack, analysis)).toBe(
      'joint-analysis serves risk-analysis; the item serves none by default for its type',
    );
  });
});
