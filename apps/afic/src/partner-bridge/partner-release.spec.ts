import { describe, expect, it } from '@jest/globals';
import {
  assertValidEnvelopeJson,
  envelopeFromJson,
  envelopeToJson,
  ReleasabilityScope,
  type Envelope,
  type EnvelopeJson,
} from '#contracts';
import { loadDirectory, parseDirectory } from '#directory';
import { normalisedSelectorsOf } from '#policy';
import {
  asJson,
  validDebriefingReportEnvelope,
  validFinancialLeadEnvelope,
  validModusOperandiReportEnvelope,
  validRouteReportEnvelope,
} from '#testing';
import { NOTHING_RELEASABLE, RELEASE_NEEDS_CONSENT, releasesFor } from './partner-release.js';
import { partnerCopyOf } from './release-profile.js';

const directory = loadDirectory('deploy/directory.yaml');
const NOW = Date.parse('2025-06-20T12:00:00Z');
const envelope = (json: EnvelopeJson): Envelope => envelopeFromJson(asJson(json));
const plan = (e: Envelope) => releasesFor(e, directory, { node: 'afic', idKey: 'k', nowMs: NOW });

/** A central Mediterranean route report from Italy, GREEN, released to Niger and Nigeria, naming a phone. */
function route(
  overrides: Partial<EnvelopeJson> = {},
  narrative = 'The boat driver "Abu Salah" takes bookings on +218 91 234 5678.',
  conveyance = 'trawler IMO 9074729 as mother ship, then dinghies',
): Envelope {
  const json = validRouteReportEnvelope({
    sender: 'cp-it',
    author: 'cp-it.analyst-1',
    recipients: ['jot-mare', 'afic'],
    tlp: 'TLP_GREEN',
    containsPersonalData: true,
    releasability: { scope: 'RELEASABILITY_SCOPE_THIRD_COUNTRIES', thirdCountries: ['NE', 'NG'] },
    ...overrides,
  });
  json.routeReport!.narrative = narrative;
  json.routeReport!.segments[2].conveyance = conveyance;
  return envelope(json);
}

describe('partnerCopyOf: what may go to a partner without a legal basis for personal data', () => {
  it('takes the narrative and any text naming a selector out of a route report, and keeps the route', () => {
    const copy = partnerCopyOf(route())!;
    expect(copy.removed).toEqual([
      { field: 'routeReport.narrative', reason: expect.stringContaining('free text') },
      { field: 'routeReport.segments[2].conveyance', reason: expect.stringContaining('selector') },
    ]);
    const r = copy.payload.case === 'routeReport' ? copy.payload.value : undefined;
    expect(r?.narrative).toBe('');
    expect(r?.segments.map((s) => `${s.fromPlace}-${s.toPlace}:${s.conveyance}`)).toEqual([
      'Agadez-Sabha:pick-up trucks in convoys of 10 to 15',
      'Sabha-Zuwara:lorry with hidden compartment',
      'Zuwara-Lampedusa:',
    ]);
    expect(r?.pricePerPerson?.amount).toBe('3000.00');
    expect(r?.nationalities).toEqual(['ER', 'SD', 'ML', 'NG', 'BD']);
  });

  it("takes a debriefing's facilitators, phone numbers, accounts, the person's nationality and the narrative out, field by field", () => {
    const json = validDebriefingReportEnvelope();
    json.debriefingReport!.selectors = {
      phoneNumbers: ['+218912345678'],
      ibans: ['IT60X0542811101000000123456'],
      vesselNames: ['AL FAJR'],
    };
    const copy = partnerCopyOf(envelope(json))!;
    expect(copy.removed.map((r) => r.field)).toEqual([
      'debriefingReport.facilitators[0]',
      'debriefingReport.facilitators[1]',
      'debriefingReport.narrative',
      'debriefingReport.nationality',
      'debriefingReport.selectors.ibans',
      'debriefingReport.selectors.phoneNumbers',
    ]);
    const d = copy.payload.case === 'debriefingReport' ? copy.payload.value : undefined;
    expect(d?.selectors?.vesselNames).toEqual(['AL FAJR']);
    expect(d?.routeTaken).toHaveLength(3);
    expect(d?.pricePaid?.amount).toBe('4200.00');
    expect(d?.facilitators).toEqual([]);
  });

  it('drops only the indicators of a modus operandi that name a selector', () => {
    const json = validModusOperandiReportEnvelope();
    json.modusOperandiReport!.indicators!.push('drivers recruited through https://t.me/s/crossings_channel');
    const copy = partnerCopyOf(envelope(json))!;
    expect(copy.removed.map((r) => r.field)).toEqual([
      'modusOperandiReport.indicators[3]',
      'modusOperandiReport.narrative',
    ]);
    const m = copy.payload.case === 'modusOperandiReport' ? copy.payload.value : undefined;
    expect(m?.indicators).toHaveLength(3);
    expect(m?.title).toBe('Migrants hidden in refrigerated lorries at Subotica');
  });

  it('builds the copy from its allow-list only: a field this version of the contract does not know stays behind', () => {
    const original = route();
    if (original.payload.case !== 'routeReport') throw new Error('a route report');
    original.payload.value.$unknown = [{ no: 99, wireType: 2, data: new TextEncoder().encode('Abu Salah') }];
    original.payload.value.segments[0].$unknown = [{ no: 98, wireType: 0, data: new Uint8Array([1]) }];
    const copy = partnerCopyOf(original)!;
    const r = copy.payload.case === 'routeReport' ? copy.payload.value : undefined;
    expect(r?.$unknown).toBeUndefined();
    expect(r?.segments[0].$unknown).toBeUndefined();
  });

  it('passes on no other type', () => {
    const lead = validFinancialLeadEnvelope({ sender: 'cp-gr', author: 'cp-gr.analyst-1' });
    expect(partnerCopyOf(envelope(lead))).toBeUndefined();
  });
});

describe('releasesFor: which partners get a copy', () => {
  it('releases a copy without the personal data to the partner the router kept the item from for it alone', () => {
    const original = route();
    const { releases, notReleased } = plan(original);
    // Nigeria's agreement covers H1 too; Mali has none; only Niger and Nigeria are named in the releasability.
    expect(releases.map((r) => [r.partner, r.agreement])).toEqual([
      ['afic-partner-ne', 'frontex-ne-2023'],
      ['afic-partner-ng', 'frontex-ng-2012'],
    ]);
    expect(notReleased).toEqual([]);
    const copy = releases[0].envelope;
    expect(copy).toMatchObject({
      sender: 'afic',
      recipients: ['afic-partner-ne'],
      namedRecipientsOnly: true,
      inReplyTo: original.id,
      handlingCode: original.handlingCode,
      tlp: original.tlp,
      containsPersonalData: false,
      releasability: { scope: ReleasabilityScope.THIRD_COUNTRIES, thirdCountries: ['NE'] },
    });
    expect(() => assertValidEnvelopeJson(envelopeToJson(copy))).not.toThrow();
    expect(normalisedSelectorsOf(copy)).toEqual([]);
    expect(JSON.stringify(envelopeToJson(copy))).not.toContain('Abu Salah');
    expect(releases[0].envelope.id).not.toBe(releases[1].envelope.id);
    expect(plan(original).releases[0].envelope.id).toBe(copy.id);
  });

  it('releases nothing where the router delivers the item itself, or keeps it for another rule', () => {
    expect(plan(route({ containsPersonalData: false }))).toEqual({ releases: [], notReleased: [] });
    // Released to the EU only: no partner may have it, with or without personal data.
    expect(plan(route({ releasability: { scope: 'RELEASABILITY_SCOPE_EU_ONLY' } }))).toEqual({
      releases: [],
      notReleased: [],
    });
  });

  it("keeps intelligence that needs its originator's consent from every partner, and says so", () => {
    const { releases, notReleased } = plan(route({ tlp: 'TLP_AMBER' }));
    expect(releases).toEqual([]);
    expect(notReleased.map((n) => [n.partner, n.rule])).toEqual([
      ['afic-partner-ne', RELEASE_NEEDS_CONSENT],
      ['afic-partner-ng', RELEASE_NEEDS_CONSENT],
    ]);
  });

  it('releases nothing when it finds no personal data to take out of an item marked as holding some', () => {
    const { releases, notReleased } = plan(route({}, '', 'inflatable rubber boat'));
    expect(releases).toEqual([]);
    expect(notReleased.map((n) => n.rule)).toEqual([NOTHING_RELEASABLE, NOTHING_RELEASABLE]);
  });

  it('passes on no other type, and audits nothing for it', () => {
    const lead = envelope(
      validFinancialLeadEnvelope({
        sender: 'cp-gr',
        author: 'cp-gr.analyst-1',
        tlp: 'TLP_GREEN',
        handlingCode: 'HANDLING_CODE_H1',
        recipients: ['afic'],
        releasability: { scope: 'RELEASABILITY_SCOPE_THIRD_COUNTRIES', thirdCountries: ['NE'] },
        route: 'SMUGGLING_ROUTE_CENTRAL_MEDITERRANEAN',
      }),
    );
    // Even for a partner that subscribes to everything.
    const party = (id: string, kind: string, country: string, subscriptions: string[]) => ({
      id,
      kind,
      name: id,
      country,
      clearance: 'H3',
      subscriptions,
    });
    const wide = parseDirectory({
      parties: [
        party('cp-gr', 'contact-point', 'GR', []),
        party('afic', 'afic', 'PL', ['intel.>']),
        { ...party('afic-partner-ne', 'afic-partner', 'NE', ['intel.>']), clearance: 'H1' },
      ],
      agreements: [
        { id: 'frontex-ne', country: 'NE', title: 'Niger', personalData: false, handlingCodes: ['H0', 'H1'] },
      ],
    });
    expect(releasesFor(lead, wide, { node: 'afic', idKey: 'k', nowMs: NOW })).toEqual({
      releases: [],
      notReleased: [],
    });
  });

  it('releases nothing of its own copies or of forwarded copies', () => {
    const own = route({ sender: 'afic', author: 'afic.analyst-1', recipients: ['jot-mare'] });
    expect(plan(own).releases).toEqual([]);
    expect(plan(route({ consentRef: '0197a000-0000-7000-8000-000000000009' })).releases).toEqual([]);
  });
});
