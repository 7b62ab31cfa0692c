import { describe, expect, it } from '@jest/globals';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { EnvelopeSchema, HandlingCode, Tlp, type Envelope } from '#contracts';
import { dispatchRefusal } from './dispatch-rules.js';
import type { AuthorityKind, NationalAuthority } from './national-authorities.js';

const NOW = Date.parse('2026-12-03T12:00:00Z');

const authority = (kind: AuthorityKind): NationalAuthority => ({
  id: kind,
  kind,
  name: kind,
  types: ['routeReport'],
  endpoint: { transport: 'http', url: 'https://example.it' },
});

const item = (handlingCode: HandlingCode, tlp: Tlp, expiresAtMs?: number): Envelope =>
  create(EnvelopeSchema, {
    handlingCode,
    tlp,
    ...(expiresAtMs === undefined ? {} : { expiresAt: timestampFromMs(expiresAtMs) }),
  });

const ruleOf = (e: Envelope, kind: AuthorityKind) => dispatchRefusal(e, authority(kind), NOW)?.rule;

describe('what a contact point may pass to a national authority', () => {
  it('passes H0 and H1 items marked CLEAR, GREEN or AMBER to every kind of authority but H1 to prosecution', () => {
    for (const tlp of [Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER])
      for (const kind of ['border-guard', 'coast-guard', 'police', 'financial-intelligence-unit'] as const) {
        expect(ruleOf(item(HandlingCode.H0, tlp), kind)).toBeUndefined();
        expect(ruleOf(item(HandlingCode.H1, tlp), kind)).toBeUndefined();
      }
    expect(ruleOf(item(HandlingCode.H0, Tlp.GREEN), 'prosecution')).toBeUndefined();
    expect(ruleOf(item(HandlingCode.H1, Tlp.GREEN), 'prosecution')).toBe('DISPATCH.H1_JUDICIAL');
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
