import { describe, expect, it } from '@jest/globals';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { EnvelopeSchema, HandlingCode, Purpose, Tlp, type Envelope } from '#contracts';
import { dispatchRefusal } from './dispatch-rules.js';
import { AUTHORITY_PURPOSE, type AuthorityKind, type NationalAuthority } from './national-authorities.js';

const NOW = Date.parse('2026-12-03T12:00:00Z');

const authority = (kind: AuthorityKind): NationalAuthority => ({
  id: kind,
  kind,
  name: kind,
  types: ['routeReport'],
  endpoint: { transport: 'http', url: 'https://example.it' },
});

const item = (
  handlingCode: HandlingCode,
  tlp: Tlp,
  expiresAtMs?: number,
  purposes: Purpose[] = [],
): Envelope =>
  create(EnvelopeSchema, {
    handlingCode,
    tlp,
    purposes,
    ...(expiresAtMs === undefined ? {} : { expiresAt: timestampFromMs(expiresAtMs) }),
    payload: { case: 'routeReport', value: {} },
  });

const ruleOf = (e: Envelope, kind: AuthorityKind) => dispatchRefusal(e, authority(kind), NOW)?.rule;

describe('what a contact point may pass to a national authority', () => {
  it('passes H0 and H1 items marked CLEAR, GREEN or AMBER to every kind of authority their purposes cover, but H1 to prosecution', () => {
    const all = Object.values(AUTHORITY_PURPOSE);
    for (const tlp of [Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER])
      for (const kind of ['border-guard', 'coast-guard', 'police', 'financial-intelligence-unit'] as const) {
        expect(ruleOf(item(HandlingCode.H0, tlp, undefined, all), kind)).toBeUndefined();
        expect(ruleOf(item(HandlingCode.H1, tlp, undefined, all), kind)).toBeUndefined();
      }
    expect(ruleOf(item(HandlingCode.H0, Tlp.GREEN, undefined, all), 'prosecution')).toBeUndefined();
    expect(ruleOf(item(HandlingCode.H1, Tlp.GREEN), 'prosecution')).toBe('DISPATCH.H1_JUDICIAL');
  });

  it("passes an item only to authorities whose task one of its purposes is: judicial use is the provider's to allow", () => {
    // A route report serves criminal investigation, border management and risk analysis by default.
    const byDefault = item(HandlingCode.H0, Tlp.GREEN);
    expect(ruleOf(byDefault, 'border-guard')).toBeUndefined();
    expect(ruleOf(byDefault, 'police')).toBeUndefined();
    expect(ruleOf(byDefault, 'financial-intelligence-unit')).toBe('DISPATCH.PURPOSE_NOT_COVERED');
    expect(ruleOf(byDefault, 'prosecution')).toBe('DISPATCH.PURPOSE_NOT_COVERED');
    const forAnalysis = item(HandlingCode.H0, Tlp.GREEN, undefined, [Purpose.RISK_ANALYSIS]);
    for (const kind of ['border-guard', 'coast-guard', 'police'] as const)
      expect(ruleOf(forAnalysis, kind)).toBe('DISPATCH.PURPOSE_NOT_COVERED');
    expect(dispatchRefusal(forAnalysis, authority('coast-guard'), NOW)?.reason).toBe(
      'dispatch:coast-guard serves border-management; the item serves risk-analysis as its sender stated',
    );
    const forCourt = item(HandlingCode.H0, Tlp.GREEN, undefined, [Purpose.JUDICIAL_PROCEEDINGS]);
    expect(ruleOf(forCourt, 'prosecution')).toBeUndefined();
    expect(ruleOf(forCourt, 'police')).toBe('DISPATCH.PURPOSE_NOT_COVERED');
  });

  it('keeps H2 and H3 items, and TLP:RED and AMBER+STRICT items, at the contact point', () => {
    expect(ruleOf(item(HandlingCode.H2, Tlp.GREEN), 'police')).toBe('DISPATCH.H2_NO_DISSEMINATION');
    expect(ruleOf(item(HandlingCode.H3, Tlp.GREEN), 'police')).toBe('DISPATCH.H3_RESTRICTIONS');
    expect(ruleOf(item(HandlingCode.H0, Tlp.RED), 'police')).toBe('DISPATCH.TLP_RED');
    expect(ruleOf(item(HandlingCode.H0, Tlp.AMBER_STRICT), 'coast-guard')).toBe('DISPATCH.TLP_AMBER_STRICT');
  });

  it('keeps an item past its expiry, and passes one that expires later', () => {
    expect(ruleOf(item(HandlingCode.H0, Tlp.GREEN, NOW), 'police')).toBe('DISPATCH.EXPIRED');
    expect(ruleOf(item(HandlingCode.H0, Tlp.GREEN, NOW + 1000), 'police')).toBeUndefined();
  });

  it('states the reason an auditor reads', () => {
    expect(dispatchRefusal(item(HandlingCode.H2, Tlp.GREEN), authority('police'), NOW)?.reason).toBe(
      "H2: not to be disseminated without the provider's permission",
    );
  });
});
