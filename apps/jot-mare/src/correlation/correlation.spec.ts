import { describe, expect, it } from '@jest/globals';
import {
  assertValidEnvelopeJson,
  envelopeFromJson,
  envelopeToJson,
  HandlingCode,
  ReleasabilityScope,
  SelectorKind,
  Tlp,
  type Envelope,
  type EnvelopeJson,
} from '#contracts';
import { loadDirectory } from '#directory';
import { MAX_SELECTORS_PER_ITEM, selectorDigest } from '#policy';
import {
  asJson,
  validAnalysisProductEnvelope,
  validDebriefingReportEnvelope,
  validFinancialLeadEnvelope,
  validHitNoticeEnvelope,
  validInternetContentReferralEnvelope,
  validModusOperandiReportEnvelope,
  validSuspectVesselReportEnvelope,
} from '#testing';
import {
  correlatedSelectors,
  LINK_NEEDS_CONSENT,
  linkNoticeFor,
  mayLearnOf,
  type ReportSelector,
} from './correlation.js';

const directory = loadDirectory('deploy/directory.yaml');
const NOW = Date.parse('2025-06-20T12:00:00Z');
const IBAN = 'IT60X0542811101000000123456';

const envelope = (json: EnvelopeJson): Envelope => envelopeFromJson(asJson(json));

/** A financial lead of cp-gr naming the IBAN, with the given marking and recipients. */
function lead(overrides: Partial<EnvelopeJson> = {}): Envelope {
  return envelope(
    validFinancialLeadEnvelope({
      sender: 'cp-gr',
      author: 'cp-gr.analyst-1',
      recipients: ['jot-mare'],
      handlingCode: 'HANDLING_CODE_H1',
      tlp: 'TLP_GREEN',
      ...overrides,
    }),
  );
}

describe('correlatedSelectors', () => {
  it("indexes a report by its typed and free-text selectors, by the exchange's digest", () => {
    const found = correlatedSelectors(lead());
    expect(found.map((s) => `${s.kind}:${s.value}`)).toEqual([
      `iban:${IBAN}`,
      'iban:MT84MALT011000012345MTLCAST001S',
    ]);
    for (const s of found) expect(s.digest).toBe(selectorDigest(s));
  });

  it('leaves vessel names to the watch-list and takes the IMO and MMSI of a vessel report', () => {
    const kinds = correlatedSelectors(envelope(validSuspectVesselReportEnvelope())).map((s) => s.kind);
    expect(kinds).toEqual(['imo', 'mmsi']);
  });

  it('indexes at most MAX_SELECTORS_PER_ITEM selectors of a report, the same ones whatever their order', () => {
    const numbers = Array.from({ length: 200 }, (_, i) => `+2189123${String(i).padStart(5, '0')}`);
    const many = (list: string[]) =>
      correlatedSelectors(
        envelope(
          validModusOperandiReportEnvelope({
            sender: 'cp-gr',
            author: 'cp-gr.analyst-1',
            containsPersonalData: true,
            modusOperandiReport: {
              ...validModusOperandiReportEnvelope().modusOperandiReport!,
              narrative: `Bookings on ${list.join(', ')}.`,
            },
          }),
        ),
      );
    const found = many(numbers);
    expect(found).toHaveLength(MAX_SELECTORS_PER_ITEM);
    expect(many([...numbers].reverse()).map((s) => s.digest)).toEqual(found.map((s) => s.digest));
  });

  it('indexes no product and no control message', () => {
    expect(correlatedSelectors(envelope(validAnalysisProductEnvelope()))).toEqual([]);
    expect(correlatedSelectors(envelope(validHitNoticeEnvelope()))).toEqual([]);
  });
});

describe('mayLearnOf: who may be told that a report exists', () => {
  it('tells the originator of its own report, and any cleared party of an unrestricted one', () => {
    expect(mayLearnOf('cp-gr', lead(), directory, NOW)).toBeNull();
    expect(mayLearnOf('cp-it', lead(), directory, NOW)).toBeNull();
  });

  it('keeps a restricted report from a party that does not hold it, under originator control', () => {
    for (const marking of [
      { handlingCode: 'HANDLING_CODE_H2' },
      { tlp: 'TLP_AMBER' },
      { tlp: 'TLP_AMBER_STRICT' },
    ] as const) {
      expect(mayLearnOf('cp-it', lead(marking), directory, NOW)?.rule).toBe(LINK_NEEDS_CONSENT);
      // A party the originator named holds it already.
      expect(
        mayLearnOf('cp-it', lead({ ...marking, recipients: ['jot-mare', 'cp-it'] }), directory, NOW),
      ).toBeNull();
    }
  });

  it('applies the sharing rules first: TLP RED, clearance, statistics only, third countries, unknown parties', () => {
    expect(mayLearnOf('cp-it', lead({ tlp: 'TLP_RED' }), directory, NOW)?.rule).toBe(
      'POLICY.TLP_RED_NAMED_ONLY',
    );
    expect(
      mayLearnOf('cp-it', lead({ tlp: 'TLP_RED', recipients: ['jot-mare', 'cp-it'] }), directory, NOW),
    ).toBeNull();
    expect(
      mayLearnOf(
        'emlo-ne',
        lead({
          handlingCode: 'HANDLING_CODE_H3',
          handlingRestriction: 'not for asylum decisions',
          recipients: ['jot-mare', 'emlo-ne'],
        }),
        directory,
        NOW,
      )?.rule,
    ).toBe('POLICY.RECIPIENT_NOT_CLEARED');
    expect(mayLearnOf('eurostat', lead({ handlingCode: 'HANDLING_CODE_H0' }), directory, NOW)?.rule).toBe(
      'POLICY.AGGREGATES_ONLY',
    );
    expect(mayLearnOf('afic-partner-ml', lead(), directory, NOW)?.rule).toBe(
      'POLICY.THIRD_COUNTRY_NO_AGREEMENT',
    );
    expect(mayLearnOf('afic-partner-sn', lead(), directory, NOW)?.rule).toBe(
      'POLICY.THIRD_COUNTRY_NOT_RELEASABLE',
    );
    expect(mayLearnOf('cp-xx', lead(), directory, NOW)?.rule).toBe('POLICY.RECIPIENT_UNKNOWN');
  });
});

describe('linkNoticeFor', () => {
  const own = lead();
  const ibanSelector = correlatedSelectors(own)[0];
  const linked = [
    {
      messageId: '0197a000-0000-7000-8000-000000000001',
      holder: 'cp-it',
      handlingCode: HandlingCode.H2,
      tlp: Tlp.AMBER,
    },
    {
      messageId: '0197a000-0000-7000-8000-000000000002',
      holder: 'cp-mt',
      handlingCode: HandlingCode.H1,
      tlp: Tlp.GREEN,
    },
  ];
  const notice = (selector: ReportSelector = ibanSelector, to: Envelope = own, l = linked) =>
    linkNoticeFor({ node: 'jot-mare', idKey: 'k', directory, own: to, selector, linked: l, nowMs: NOW });

  it("tells the report's originator which reports share the selector, and whom to contact, marked like the strictest", () => {
    const n = notice();
    expect(n.recipients).toEqual(['cp-gr']);
    expect(n.inReplyTo).toBe(own.id);
    expect(n.handlingCode).toBe(HandlingCode.H2);
    expect(n.tlp).toBe(Tlp.AMBER);
    expect(n.containsPersonalData).toBe(true);
    expect(n.payload.case === 'hitNotice' && n.payload.value).toMatchObject({
      requestId: own.id,
      selector: { kind: SelectorKind.IBAN, value: IBAN },
      matchingMessageIds: linked.map((l) => l.messageId),
      holders: ['cp-it', 'cp-mt'],
    });
    expect(() => assertValidEnvelopeJson(envelopeToJson(n))).not.toThrow();
  });

  it('is valid under the contract for every kind it correlates, URLs with their scheme', () => {
    const sources = [
      envelope(validSuspectVesselReportEnvelope()),
      envelope(validDebriefingReportEnvelope()),
      envelope(validInternetContentReferralEnvelope()),
    ];
    const kinds = new Set<string>();
    for (const source of sources)
      for (const s of correlatedSelectors(source)) {
        kinds.add(s.kind);
        expect(() => assertValidEnvelopeJson(envelopeToJson(notice(s, source)))).not.toThrow();
      }
    expect([...kinds].sort()).toEqual(['imo', 'mmsi', 'phone', 'url']);
    const url = correlatedSelectors(envelope(validInternetContentReferralEnvelope())).find(
      (s) => s.kind === 'url',
    )!;
    const n = notice(url, envelope(validInternetContentReferralEnvelope()));
    expect(n.payload.case === 'hitNotice' && n.payload.value.selector?.value).toMatch(/^https:\/\//);
  });

  it('is released to the third country it goes to, and to the EU only otherwise', () => {
    expect(notice().releasability?.scope).toBe(ReleasabilityScope.EU_ONLY);
    const partner = lead({ sender: 'afic-partner-sn', author: 'afic-partner-sn.officer-1' });
    expect(notice(ibanSelector, partner).releasability).toMatchObject({
      scope: ReleasabilityScope.THIRD_COUNTRIES,
      thirdCountries: ['SN'],
    });
  });

  it('has the same id for the same link and another for another', () => {
    expect(notice().id).toBe(notice().id);
    expect(notice(ibanSelector, own, linked.slice(0, 1)).id).not.toBe(notice().id);
    expect(notice(correlatedSelectors(own)[1]).id).not.toBe(notice().id);
  });
});
