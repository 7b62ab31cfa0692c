import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  AcknowledgementSchema,
  DebriefingReportSchema,
  DeliveryReceiptSchema,
  DocumentFraudReportSchema,
  ErasureReceiptSchema,
  FinancialLeadSchema,
  HandlingCode,
  InternetContentReferralSchema,
  ModusOperandiReportSchema,
  Purpose,
  RecallSchema,
  ReleasabilityScope,
  ReleasabilitySchema,
  RouteReportSchema,
  ShareDecisionSchema,
  ShareRequestSchema,
  SmugglingRoute,
  SuspectVesselReportSchema,
  Tlp,
  type Envelope,
} from '#contracts';
import { parseDirectory, type Directory } from '#directory';
import { testDirectory } from '#testing';
import { decideRecipients, decideSubmission, type RuleSets } from './decide-recipients.js';
import {
  borrowedSelectorsOf,
  derivedFrom,
  needsOriginatorConsent,
  type DerivedFrom,
} from './derived-intelligence.js';
import type { ConsentRecord, ItemRecord, PolicyFacts } from './facts.js';
import { envelope, factsFor, item, NOW_MS } from './policy-fixtures.js';
import { derivedReachesHoldersOnly } from './rules.js';
import { describeDerived, SUBMISSION_RULES } from './submission-rules.js';
import { topicsOf } from './topics.js';

/**
 * Facts of the sharing rules stated one by one, each at the point where a slip in the rules would let
 * intelligence reach the wrong party or keep it from the right one.
 */
const directory = testDirectory();

/** Recipient → `delivered` or the code of the rule that withheld. */
function outcomes(
  env: Envelope,
  facts: PolicyFacts = factsFor(env),
  dir: Directory = directory,
  rules?: RuleSets,
) {
  return Object.fromEntries(
    decideRecipients(env, dir, facts, rules).map((d) => [
      d.recipient,
      d.outcome === 'delivered' ? 'delivered' : d.rule,
    ]),
  );
}

/** The code of the submission rule that refused, or `routed`. */
function verdict(env: Envelope, facts: PolicyFacts = factsFor(env)): string {
  return decideSubmission(env, directory, facts).refusal?.rule ?? 'routed';
}

describe('releasability to third countries', () => {
  it('honours the named countries: an item released to Niger alone never reaches Senegal', () => {
    const env = envelope({
      recipients: ['afic-partner-ne', 'afic-partner-sn'],
      releasability: create(ReleasabilitySchema, {
        scope: ReleasabilityScope.THIRD_COUNTRIES,
        thirdCountries: ['NE'],
      }),
    });
    expect(outcomes(env)).toMatchObject({
      'afic-partner-ne': 'delivered',
      'afic-partner-sn': 'POLICY.THIRD_COUNTRY_NOT_RELEASABLE',
    });
  });

  it('keeps every third country out of an item without releasability', () => {
    const env = envelope({ recipients: ['afic-partner-sn', 'cp-it'], releasability: undefined });
    expect(outcomes(env)).toMatchObject({
      'afic-partner-sn': 'POLICY.THIRD_COUNTRY_NOT_RELEASABLE',
      'cp-it': 'delivered',
    });
  });

  it('says which country the item is not released to', () => {
    const env = envelope({
      recipients: ['afic-partner-sn'],
      releasability: create(ReleasabilitySchema, { scope: ReleasabilityScope.EU_ONLY }),
    });
    expect(
      decideRecipients(env, directory, factsFor(env)).find((d) => d.recipient === 'afic-partner-sn')?.reason,
    ).toBe('the item is not released to SN');
  });
});

/** A directory with one third country under two agreements, and one whose agreement lapses. */
function twoAgreements(): Directory {
  return parseDirectory({
    parties: [
      {
        id: 'cp-gr',
        kind: 'contact-point',
        name: 'cp-gr',
        country: 'GR',
        clearance: 'H3',
        subscriptions: [],
      },
      {
        id: 'afic-partner-sn',
        kind: 'afic-partner',
        name: 'afic-partner-sn',
        country: 'SN',
        clearance: 'H3',
        subscriptions: ['intel.route.>'],
      },
      {
        id: 'afic-partner-gm',
        kind: 'afic-partner',
        name: 'afic-partner-gm',
        country: 'GM',
        clearance: 'H2',
        subscriptions: [],
      },
    ],
    agreements: [
      // Personal data with a legal basis, but for H0 and H1 only.
      {
        id: 'sn-basic',
        country: 'SN',
        title: 'Working arrangement with Senegal',
        personalData: true,
        legalBasis: 'Regulation (EU) 2019/1896, Art. 86',
        handlingCodes: ['H0', 'H1'],
      },
      // H2 and H3, without personal data.
      {
        id: 'sn-restricted',
        country: 'SN',
        title: 'Operational arrangement with Senegal',
        personalData: false,
        handlingCodes: ['H2', 'H3'],
      },
      {
        id: 'gm-2026',
        country: 'GM',
        title: 'Working arrangement with the Gambia',
        personalData: false,
        handlingCodes: ['H0', 'H1', 'H2'],
        validUntil: '2026-11-28',
      },
    ],
  });
}

describe('agreements with third countries', () => {
  const toSenegal = (over: Parameters<typeof envelope>[0]) =>
    envelope({
      recipients: ['afic-partner-sn'],
      releasability: create(ReleasabilitySchema, {
        scope: ReleasabilityScope.THIRD_COUNTRIES,
        thirdCountries: ['SN', 'GM'],
      }),
      ...over,
    });

  it('takes the legal basis for personal data only from an agreement that covers the handling code', () => {
    const dir = twoAgreements();
    // H1 personal data: the first agreement covers both.
    expect(
      outcomes(toSenegal({ handlingCode: HandlingCode.H1, containsPersonalData: true }), undefined, dir),
    ).toEqual({
      'afic-partner-sn': 'delivered',
    });
    // H2 without personal data: the second agreement covers it.
    expect(outcomes(toSenegal({ handlingCode: HandlingCode.H2 }), undefined, dir)).toEqual({
      'afic-partner-sn': 'delivered',
    });
    // H2 personal data: the agreement that covers H2 states no legal basis for personal data.
    const env = toSenegal({ handlingCode: HandlingCode.H2, containsPersonalData: true });
    expect(outcomes(env, undefined, dir)).toEqual({
      'afic-partner-sn': 'POLICY.THIRD_COUNTRY_PERSONAL_DATA',
    });
    expect(decideRecipients(env, dir, factsFor(env))[0].reason).toBe(
      'no legal basis for personal data to SN',
    );
  });

  it('names the country and the handling code no agreement covers', () => {
    const d = testDirectory();
    d.party('afic-partner-sn')!.clearance = 'H3';
    const env = toSenegal({ handlingCode: HandlingCode.H3, handlingRestriction: 'no onward use' });
    expect(
      decideRecipients(env, d, factsFor(env)).find((x) => x.recipient === 'afic-partner-sn'),
    ).toMatchObject({
      rule: 'POLICY.THIRD_COUNTRY_HANDLING_CODE',
      reason: 'no agreement with SN covers H3',
    });
  });

  it('applies an agreement up to and including its last day, and not the day after', () => {
    const dir = twoAgreements();
    const env = envelope({
      recipients: ['afic-partner-gm'],
      releasability: create(ReleasabilitySchema, {
        scope: ReleasabilityScope.THIRD_COUNTRIES,
        thirdCountries: ['GM'],
      }),
    });
    // NOW_MS is 2026-11-28 at noon, the agreement's last day.
    expect(outcomes(env, factsFor(env), dir)).toMatchObject({ 'afic-partner-gm': 'delivered' });
    const nextDay = factsFor(env, { nowMs: Date.UTC(2026, 10, 29, 0, 0) });
    expect(outcomes(env, nextDay, dir)).toMatchObject({
      'afic-partner-gm': 'POLICY.THIRD_COUNTRY_NO_AGREEMENT',
    });
    expect(decideRecipients(env, dir, nextDay).find((d) => d.recipient === 'afic-partner-gm')?.reason).toBe(
      'no agreement with GM is in force',
    );
  });

  it('lets H3 reach a third country only when the originator names it, never by subscription', () => {
    const dir = twoAgreements();
    const h3 = (recipients: string[]) =>
      toSenegal({ recipients, handlingCode: HandlingCode.H3, handlingRestriction: 'no onward use' });
    expect(outcomes(h3(['afic-partner-sn']), undefined, dir)).toEqual({ 'afic-partner-sn': 'delivered' });
    const subscribed = h3([]);
    expect(decideRecipients(subscribed, dir, factsFor(subscribed))).toEqual([
      {
        recipient: 'afic-partner-sn',
        outcome: 'withheld',
        rule: 'POLICY.THIRD_COUNTRY_NEEDS_CONSENT',
        reason: 'H3 and afic-partner-sn was not named by the originator',
      },
    ]);
    // H1 is no one's to hold back: a subscribed third country under an agreement receives it.
    expect(outcomes(toSenegal({ recipients: [], handlingCode: HandlingCode.H1 }), undefined, dir)).toEqual({
      'afic-partner-sn': 'delivered',
    });
  });
});

describe('why a recipient received an item', () => {
  it('records whether the sender named it or which topics it subscribed to', () => {
    const env = envelope({ recipients: ['cp-it'] });
    const reasons = Object.fromEntries(
      decideRecipients(env, directory, factsFor(env)).map((d) => [d.recipient, [d.rule, d.reason]]),
    );
    expect(reasons).toEqual({
      // Named and subscribed: named wins.
      'cp-it': ['POLICY.ALLOWED', 'named by the sender'],
      'jot-mare': ['POLICY.ALLOWED', 'subscribed to intel.route.central-med'],
      afic: ['POLICY.ALLOWED', 'subscribed to intel.route.central-med'],
      'afic-partner-sn': ['POLICY.ALLOWED', 'subscribed to intel.route.central-med'],
    });
  });

  it('lists the decisions by recipient, whatever order the sender named them in', () => {
    const env = envelope({ recipients: ['euaa', 'cp-it', 'afic'], releasability: undefined });
    expect(decideRecipients(env, directory, factsFor(env)).map((d) => d.recipient)).toEqual([
      'afic',
      'afic-partner-sn',
      'cp-it',
      'euaa',
      'jot-mare',
    ]);
  });

  it('withholds from a named stranger and says it is not a party', () => {
    const env = envelope({ recipients: ['cp-xx'] });
    expect(decideRecipients(env, directory, factsFor(env)).find((d) => d.recipient === 'cp-xx')).toEqual({
      recipient: 'cp-xx',
      outcome: 'withheld',
      rule: 'POLICY.RECIPIENT_UNKNOWN',
      reason: 'cp-xx is not a party of the exchange',
    });
  });

  it('states the clearance a handling code exceeds and the statistics-only limit', () => {
    const env = envelope({ recipients: ['eurostat'], handlingCode: HandlingCode.H1 });
    expect(
      decideRecipients(env, directory, factsFor(env)).find((d) => d.recipient === 'eurostat')?.reason,
    ).toBe('H1 exceeds the clearance of eurostat (H0)');
    const h0 = envelope({ recipients: ['eurostat'] });
    expect(
      decideRecipients(h0, directory, factsFor(h0)).find((d) => d.recipient === 'eurostat')?.reason,
    ).toBe('eurostat receives aggregated statistics only');
  });
});

describe('topics: intel.<type>.<route>, as the directory documents them for subscriptions', () => {
  const payloads: [Envelope['payload'], string][] = [
    [{ case: 'routeReport', value: create(RouteReportSchema, {}) }, 'route'],
    [{ case: 'modusOperandiReport', value: create(ModusOperandiReportSchema, {}) }, 'modus-operandi'],
    [{ case: 'financialLead', value: create(FinancialLeadSchema, {}) }, 'financial'],
    [{ case: 'suspectVesselReport', value: create(SuspectVesselReportSchema, {}) }, 'vessel'],
    [{ case: 'documentFraudReport', value: create(DocumentFraudReportSchema, {}) }, 'document-fraud'],
    [
      { case: 'internetContentReferral', value: create(InternetContentReferralSchema, {}) },
      'internet-content',
    ],
    [{ case: 'debriefingReport', value: create(DebriefingReportSchema, {}) }, 'debriefing'],
  ];
  const routes: [SmugglingRoute, string][] = [
    [SmugglingRoute.UNSPECIFIED, 'unspecified'],
    [SmugglingRoute.CENTRAL_MEDITERRANEAN, 'central-med'],
    [SmugglingRoute.EASTERN_MEDITERRANEAN, 'eastern-med'],
    [SmugglingRoute.WESTERN_MEDITERRANEAN, 'western-med'],
    [SmugglingRoute.WESTERN_BALKANS, 'western-balkans'],
    [SmugglingRoute.EASTERN_LAND_BORDER, 'eastern-land-border'],
    [SmugglingRoute.WESTERN_AFRICAN_ATLANTIC, 'western-african-atlantic'],
    [SmugglingRoute.BLACK_SEA, 'black-sea'],
    [SmugglingRoute.CIRCULAR_ALBANIA_GREECE, 'circular-albania-greece'],
    [SmugglingRoute.AIR, 'air'],
    [SmugglingRoute.OTHER, 'other'],
  ];

  it.each(payloads.map(([p, t]) => [p.case, p, t] as const))(
    'publishes a %s under its type token',
    (_case, payload, token) => {
      expect(topicsOf(envelope({ payload, route: SmugglingRoute.WESTERN_BALKANS }))).toEqual([
        `intel.${token}.western-balkans`,
      ]);
    },
  );

  it.each(routes.map(([r, t]) => [SmugglingRoute[r], t, r] as const))(
    'publishes the %s route under the token %s',
    (_name, token, route) => {
      expect(topicsOf(envelope({ route }))).toEqual([`intel.route.${token}`]);
    },
  );

  it('uses exactly the type and route tokens the deployed directory documents', () => {
    const doc = readFileSync(new URL('../../../deploy/directory.yaml', import.meta.url), 'utf8');
    // The comment block lists `types: a, b, …` and `routes: a, b,` continued on the next comment lines.
    const lines = doc.split('\n').map((l) => l.replace(/^#\s*/, '').trim());
    const listed = (label: string) => {
      let at = lines.findIndex((l) => l.startsWith(`${label}:`));
      let text = lines[at].slice(label.length + 1);
      while (text.trim().endsWith(',')) text += lines[++at];
      return text.split(',').map((t) => t.trim());
    };
    expect(payloads.map(([, token]) => token).sort()).toEqual(listed('types').sort());
    expect(routes.map(([, token]) => token).sort()).toEqual(listed('routes').sort());
  });

  it('reaches a subscriber to intel.debriefing.> and no one subscribed to other types only', () => {
    const debriefing = envelope({
      sender: 'cp-it',
      route: SmugglingRoute.WESTERN_BALKANS,
      recipients: [],
      releasability: undefined,
      payload: { case: 'debriefingReport', value: create(DebriefingReportSchema, {}) },
    });
    // jot-mare takes intel.>; afic takes intel.route.> only; cp-gr eastern-med only.
    expect(outcomes(debriefing)).toEqual({ 'jot-mare': 'delivered' });
  });
});

describe('the item a control message concerns', () => {
  const original = item({ originator: 'emlo-ne', recipients: ['cp-it', 'jot-mare'] });
  const about = (sender: string, payload: Envelope['payload']) =>
    envelope({ sender, recipients: ['emlo-ne'], payload });
  const controls: [string, string, Envelope['payload']][] = [
    [
      'share request',
      'cp-it',
      { case: 'shareRequest', value: create(ShareRequestSchema, { messageId: original.messageId }) },
    ],
    [
      'share decision',
      'emlo-ne',
      { case: 'shareDecision', value: create(ShareDecisionSchema, { messageId: original.messageId }) },
    ],
    ['recall', 'emlo-ne', { case: 'recall', value: create(RecallSchema, { messageId: original.messageId }) }],
    [
      'erasure receipt',
      'cp-it',
      { case: 'erasureReceipt', value: create(ErasureReceiptSchema, { messageId: original.messageId }) },
    ],
    [
      'acknowledgement',
      'cp-it',
      { case: 'acknowledgement', value: create(AcknowledgementSchema, { messageId: original.messageId }) },
    ],
  ];

  it.each(controls)('refuses a %s about an item the exchange never routed', (_what, sender, payload) => {
    const env = about(sender, payload);
    expect(decideSubmission(env, directory, factsFor(env)).refusal).toEqual({
      rule: 'POLICY.ITEM_UNKNOWN',
      reason: `no item ${original.messageId} was routed through the exchange`,
    });
  });

  it('never takes a control message for a re-publication of the item it concerns', () => {
    // Even were its bytes those of another party's H2 item, a control message re-publishes nothing.
    for (const [, sender, payload] of controls) {
      const env = about(sender, payload);
      const facts = factsFor(env, {
        item: original,
        samePayload: { ...original, payloadSha256: factsFor(env).payloadSha256 },
      });
      expect(derivedFrom(env, facts)).toEqual([]);
    }
  });

  it('takes an acknowledgement or an erasure receipt only from a party that received the item', () => {
    const ack = about('afic', controls[4][2]);
    expect(decideSubmission(ack, directory, factsFor(ack, { item: original })).refusal).toEqual({
      rule: 'POLICY.NOT_A_RECIPIENT',
      reason: `afic never received ${original.messageId}`,
    });
    const erasure = about('afic', controls[3][2]);
    expect(verdict(erasure, factsFor(erasure, { item: original }))).toBe('POLICY.NOT_A_RECIPIENT');
    const fromRecipient = about('cp-it', controls[4][2]);
    expect(verdict(fromRecipient, factsFor(fromRecipient, { item: original }))).toBe('routed');
  });

  it('names the originator when another party tries to recall its item', () => {
    const env = about('cp-it', controls[2][2]);
    expect(decideSubmission(env, directory, factsFor(env, { item: original })).refusal?.reason).toBe(
      `cp-it is not the originator of ${original.messageId} (emlo-ne is)`,
    );
  });

  it('refuses a share decision that answers a request about another item', () => {
    const decision = envelope({
      sender: 'emlo-ne',
      recipients: ['cp-it'],
      payload: {
        case: 'shareDecision',
        value: create(ShareDecisionSchema, {
          requestId: 'req-1',
          messageId: original.messageId,
          granted: true,
          grantedRecipients: ['cp-gr'],
        }),
      },
    });
    const otherItem = {
      requestId: 'req-1',
      messageId: '0193a1b2-0000-7000-8000-0000000000ff',
      requester: 'cp-it',
      proposedRecipients: ['cp-gr'],
    };
    expect(
      decideSubmission(decision, directory, factsFor(decision, { item: original, request: otherItem }))
        .refusal,
    ).toEqual({
      rule: 'POLICY.SHARE_REQUEST_UNKNOWN',
      reason: `no share request req-1 about ${original.messageId} was made`,
    });
    // The share decision goes to the requester of the recorded request, whoever the originator names.
    const sameItem = { ...otherItem, messageId: original.messageId, requester: 'jot-mare' };
    expect(outcomes(decision, factsFor(decision, { item: original, request: sameItem }))).toEqual({
      'jot-mare': 'delivered',
    });
    const more = { ...sameItem, proposedRecipients: [] };
    expect(
      decideSubmission(decision, directory, factsFor(decision, { item: original, request: more })).refusal
        ?.reason,
    ).toBe('cp-gr were not in the request');
  });
});

describe('recalls and erasure receipts reach everyone concerned', () => {
  it("delivers an erasure receipt to the originator whatever its handling, the originator's clearance or TLP", () => {
    const original = item({ originator: 'emlo-ne', recipients: ['cp-it'] });
    const env = envelope({
      sender: 'cp-it',
      handlingCode: HandlingCode.H3,
      handlingRestriction: 'erasure evidence',
      tlp: Tlp.RED,
      payload: {
        case: 'erasureReceipt',
        value: create(ErasureReceiptSchema, { messageId: original.messageId }),
      },
    });
    // emlo-ne is cleared for H2 only: a new H3 item would be withheld from it.
    expect(decideRecipients(env, directory, factsFor(env, { item: original }))).toEqual([
      { recipient: 'emlo-ne', outcome: 'delivered', rule: 'POLICY.ALLOWED', reason: 'named by the sender' },
    ]);
  });

  it('refuses a recall that cites no item, delivering nothing', () => {
    const recall = envelope({
      sender: 'emlo-ne',
      recipients: ['cp-it'],
      payload: { case: 'recall', value: create(RecallSchema, { messageId: item().messageId }) },
    });
    const decision = decideSubmission(recall, directory, factsFor(recall));
    expect(decision.refusal?.rule).toBe('POLICY.ITEM_UNKNOWN');
    expect(decision.decisions.every((d) => d.outcome === 'withheld')).toBe(true);
  });
});

describe('who may publish what', () => {
  it('lets the router publish delivery receipts and recalls, and nothing else', () => {
    const receipt = envelope({
      sender: 'msx-router',
      recipients: ['cp-it'],
      payload: { case: 'deliveryReceipt', value: create(DeliveryReceiptSchema, {}) },
    });
    expect(verdict(receipt)).toBe('routed');
    const report = envelope({ sender: 'msx-router', recipients: ['cp-it'] });
    expect(decideSubmission(report, directory, factsFor(report)).refusal).toEqual({
      rule: 'POLICY.TYPE_NOT_PERMITTED',
      reason: 'the router does not publish routeReport',
    });
  });

  it('keeps delivery receipts for the router, and says so', () => {
    const receipt = envelope({
      sender: 'cp-it',
      recipients: ['cp-gr'],
      payload: { case: 'deliveryReceipt', value: create(DeliveryReceiptSchema, {}) },
    });
    expect(decideSubmission(receipt, directory, factsFor(receipt)).refusal?.reason).toBe(
      'only the router issues deliveryReceipt',
    );
  });

  it('opens control messages to every party, whatever it may publish', () => {
    // Eurostat publishes analysis products only, yet acknowledges what it received.
    const original = item({ recipients: ['eurostat'] });
    const ack = envelope({
      sender: 'eurostat',
      recipients: ['emlo-ne'],
      payload: {
        case: 'acknowledgement',
        value: create(AcknowledgementSchema, { messageId: original.messageId }),
      },
    });
    expect(verdict(ack, factsFor(ack, { item: original }))).toBe('routed');
    const report = envelope({ sender: 'eurostat', recipients: ['cp-it'] });
    expect(decideSubmission(report, directory, factsFor(report)).refusal?.reason).toBe(
      'eurostat (eu-agency) may not publish routeReport',
    );
  });

  it('names an unknown sender', () => {
    const env = envelope({ sender: 'cp-xx', recipients: ['cp-it'] });
    expect(decideSubmission(env, directory, factsFor(env)).refusal?.reason).toBe(
      'cp-xx is not a party of the exchange',
    );
  });
});

describe('expiry', () => {
  it('treats an item that expires at the very instant of routing as expired, and one a millisecond later as live', () => {
    const at = envelope({ recipients: ['cp-it'], expiresAt: timestampFromMs(NOW_MS) });
    expect(decideSubmission(at, directory, factsFor(at)).refusal).toEqual({
      rule: 'POLICY.EXPIRED',
      reason: 'the item expired before it was routed',
    });
    const later = envelope({ recipients: ['cp-it'], expiresAt: timestampFromMs(NOW_MS + 1) });
    expect(verdict(later)).toBe('routed');
  });
});

describe('purposes of re-published intelligence', () => {
  /** emlo-ne's H0 GREEN route report, open to investigation and risk analysis, received by cp-gr. */
  const original = item({
    originator: 'emlo-ne',
    recipients: ['cp-gr'],
    handlingCode: HandlingCode.H0,
    tlp: Tlp.GREEN,
    purposes: [Purpose.CRIMINAL_INVESTIGATION, Purpose.RISK_ANALYSIS],
  });
  const resubmitted = (purposes: Purpose[], over: Parameters<typeof envelope>[0] = {}) =>
    envelope({ recipients: ['cp-it'], purposes, ...over });
  const facts = (env: Envelope, same: ItemRecord = original, over: Partial<PolicyFacts> = {}) =>
    factsFor(env, { samePayload: same, ...over });

  it("refuses another party's item re-submitted byte for byte for a purpose its provider did not allow", () => {
    const judicial = resubmitted([Purpose.CRIMINAL_INVESTIGATION, Purpose.JUDICIAL_PROCEEDINGS]);
    expect(decideSubmission(judicial, directory, facts(judicial)).refusal).toEqual({
      rule: 'POLICY.PURPOSE_WIDENED',
      reason: `the intelligence is ${original.messageId} of emlo-ne, which does not serve judicial-proceedings`,
    });
    // Stating none, it serves a route report's defaults, border management among them.
    const unstated = resubmitted([]);
    expect(decideSubmission(unstated, directory, facts(unstated)).refusal?.reason).toBe(
      `the intelligence is ${original.messageId} of emlo-ne, which does not serve border-management`,
    );
  });

  it('routes it for the same purposes or fewer, and its provider re-submitting it for more', () => {
    const narrower = resubmitted([Purpose.RISK_ANALYSIS]);
    expect(verdict(narrower, facts(narrower))).toBe('routed');
    const wider = resubmitted([Purpose.JUDICIAL_PROCEEDINGS]);
    expect(verdict(wider, facts(wider, { ...original, originator: 'cp-gr' }))).toBe('routed');
    // One routed before purposes were kept serves its type's defaults, which it could not but name.
    const legacy = { ...original, purposes: undefined };
    expect(verdict(wider, facts(wider, legacy))).toBe('POLICY.PURPOSE_WIDENED');
    const unstated = resubmitted([]);
    expect(verdict(unstated, facts(unstated, legacy))).toBe('routed');
  });

  it('leaves a forwarded copy to the consent rule, which judges it against the item its consent names', () => {
    const consent: ConsentRecord = {
      decisionId: 'decision-2',
      messageId: original.messageId,
      originator: 'emlo-ne',
      requester: 'cp-gr',
      granted: true,
      grantedRecipients: ['cp-it'],
    };
    const forward = resubmitted([Purpose.BORDER_MANAGEMENT], { consentRef: 'decision-2' });
    const consented = { ...original, payloadSha256: factsFor(forward).payloadSha256, purposes: undefined };
    expect(verdict(forward, facts(forward, original, { item: consented, consent }))).toBe('routed');
  });
});

describe('forwards under consent', () => {
  const original = item({
    originator: 'emlo-ne',
    recipients: ['cp-it'],
    handlingCode: HandlingCode.H2,
    tlp: Tlp.RED,
  });
  const consent: ConsentRecord = {
    decisionId: 'decision-1',
    messageId: original.messageId,
    originator: 'emlo-ne',
    requester: 'cp-it',
    granted: true,
    grantedRecipients: ['cp-gr'],
    validUntilMs: NOW_MS + 60_000,
  };
  const forward = (over: Parameters<typeof envelope>[0] = {}) =>
    envelope({
      sender: 'cp-it',
      recipients: ['cp-gr'],
      consentRef: 'decision-1',
      handlingCode: HandlingCode.H2,
      tlp: Tlp.RED,
      ...over,
    });
  const factsOf = (env: Envelope, c: ConsentRecord | undefined = consent) =>
    factsFor(env, { item: { ...original, payloadSha256: factsFor(env).payloadSha256 }, consent: c });
  const reasonOf = (env: Envelope, facts: PolicyFacts) =>
    decideSubmission(env, directory, facts).refusal?.reason;

  it('may not weaken TLP: a RED item is never sent on as GREEN, even under a valid consent', () => {
    const green = forward({ tlp: Tlp.GREEN });
    expect(decideSubmission(green, directory, factsOf(green)).refusal).toEqual({
      rule: 'POLICY.FORWARD_CONSENT_INVALID',
      reason: 'the copy carries weaker handling than the original',
    });
    const same = forward();
    expect(outcomes(same, factsOf(same))).toEqual({ 'cp-gr': 'delivered' });
    expect(decideRecipients(same, directory, factsOf(same))[0].reason).toBe(
      'forwarded under consent decision-1',
    );
  });

  it('may not weaken the handling code', () => {
    const h1 = forward({ handlingCode: HandlingCode.H1 });
    expect(reasonOf(h1, factsOf(h1))).toBe('the copy carries weaker handling than the original');
  });

  it('may not serve a purpose the original does not: judicial use is for the provider to open', () => {
    const withPurposes = (purposes: Purpose[] | undefined) => (env: Envelope) => ({
      ...factsOf(env),
      item: { ...factsOf(env).item!, purposes },
    });
    const original = withPurposes([Purpose.CRIMINAL_INVESTIGATION, Purpose.RISK_ANALYSIS]);
    const judicial = forward({
      purposes: [Purpose.CRIMINAL_INVESTIGATION, Purpose.JUDICIAL_PROCEEDINGS, Purpose.BORDER_MANAGEMENT],
    });
    expect(decideSubmission(judicial, directory, original(judicial)).refusal).toEqual({
      rule: 'POLICY.FORWARD_CONSENT_INVALID',
      reason: 'the copy serves judicial-proceedings, border-management, which the original does not',
    });
    // Stating none, a copy serves its type's defaults: route reports serve border management too.
    const unstated = forward();
    expect(reasonOf(unstated, original(unstated))).toBe(
      'the copy serves border-management, which the original does not',
    );
    const narrower = forward({ purposes: [Purpose.RISK_ANALYSIS] });
    expect(verdict(narrower, original(narrower))).toBe('routed');
    // An item routed before purposes were kept serves its type's defaults, which it could not but name.
    expect(reasonOf(judicial, withPurposes(undefined)(judicial))).toBe(
      'the copy serves judicial-proceedings, which the original does not',
    );
    expect(verdict(unstated, withPurposes(undefined)(unstated))).toBe('routed');
    // An item not in the ledger is judged on its consent.
    expect(verdict(judicial, factsFor(judicial, { consent }))).toBe('routed');
  });

  it('holds a consent valid until the instant it ends, and for ever when it names no end', () => {
    const env = forward();
    expect(reasonOf(env, factsOf(env, { ...consent, validUntilMs: NOW_MS }))).toBe(
      'consent decision-1 has expired',
    );
    expect(verdict(env, factsOf(env, { ...consent, validUntilMs: NOW_MS + 1 }))).toBe('routed');
    expect(verdict(env, factsOf(env, { ...consent, validUntilMs: undefined }))).toBe('routed');
  });

  it('says why a consent does not cover the forward', () => {
    const env = forward();
    expect(reasonOf(env, factsFor(env))).toBe('no consent decision-1 is registered');
    expect(reasonOf(env, factsOf(env, { ...consent, requester: 'jot-mare' }))).toBe(
      'consent decision-1 was given to jot-mare, not cp-it',
    );
    expect(reasonOf(env, factsOf(env, { ...consent, granted: false }))).toBe(
      'the originator refused consent decision-1',
    );
    const other = factsFor(env, { item: { ...original, payloadSha256: 'f'.repeat(64) }, consent });
    expect(reasonOf(env, other)).toBe(`the copy differs from item ${original.messageId}`);
  });

  it('never reaches a recipient outside the consent, and says so', () => {
    const env = forward({ recipients: ['cp-gr', 'afic'] });
    expect(decideRecipients(env, directory, factsOf(env)).find((d) => d.recipient === 'afic')).toMatchObject({
      outcome: 'withheld',
      rule: 'POLICY.FORWARD_NOT_CONSENTED',
      reason: "the originator's consent does not cover afic",
    });
  });

  it('sends a forward to the named recipients only, never to topic subscribers', () => {
    // cp-it and jot-mare subscribe to the central Mediterranean, yet only cp-gr is named.
    const env = envelope({
      sender: 'afic',
      recipients: ['cp-gr'],
      consentRef: 'decision-1',
      handlingCode: HandlingCode.H2,
      tlp: Tlp.RED,
    });
    const facts = factsFor(env, {
      item: { ...original, recipients: ['afic'], payloadSha256: factsFor(env).payloadSha256 },
      consent: { ...consent, requester: 'afic' },
    });
    expect(outcomes(env, facts)).toEqual({ 'cp-gr': 'delivered' });
  });
});

describe("which handling makes an item the originator's to release", () => {
  it.each<[keyof typeof HandlingCode, keyof typeof Tlp, boolean]>([
    ['H0', 'CLEAR', false],
    ['H1', 'GREEN', false],
    ['H0', 'AMBER', true],
    ['H1', 'AMBER', true],
    ['H0', 'AMBER_STRICT', true],
    ['H1', 'RED', true],
    ['H2', 'CLEAR', true],
    ['H3', 'GREEN', true],
  ])('%s with TLP %s needs consent: %s', (handling, tlp, needed) => {
    expect(needsOriginatorConsent(HandlingCode[handling], Tlp[tlp])).toBe(needed);
  });

  it.each([
    ['AMBER at H0', HandlingCode.H0, Tlp.AMBER],
    ['AMBER at H1', HandlingCode.H1, Tlp.AMBER],
    ['RED at H1', HandlingCode.H1, Tlp.RED],
    ['GREEN at H3', HandlingCode.H3, Tlp.GREEN],
  ])("refuses another party's %s item re-submitted byte for byte as new", (_what, handlingCode, tlp) => {
    const env = envelope({ recipients: ['cp-it'] });
    const prior = item({ originator: 'emlo-ne', handlingCode, tlp });
    expect(decideSubmission(env, directory, factsFor(env, { samePayload: prior })).refusal).toEqual({
      rule: 'POLICY.ONWARD_SHARING_NEEDS_CONSENT',
      reason: `the intelligence is ${prior.messageId} of emlo-ne; ask for consent with a share request`,
    });
  });
});

describe('reworded copies, recognised by their selectors', () => {
  /** An original of emlo-ne's with three selectors, held by cp-gr (the sender) and cp-it. */
  const original = item({
    originator: 'emlo-ne',
    handlingCode: HandlingCode.H0,
    tlp: Tlp.AMBER,
    recipients: ['cp-gr', 'cp-it'],
    payloadSha256: 'f'.repeat(64),
    selectors: ['s1', 's2', 's3'],
  });
  const copy = (recipients: string[]) =>
    envelope({ recipients, releasability: undefined, handlingCode: HandlingCode.H0, tlp: Tlp.AMBER });

  it('keeps an AMBER item at H0 among its holders', () => {
    const env = copy(['cp-it', 'afic']);
    const facts = factsFor(env, { selectors: ['s1', 's2'], selectorItems: [original] });
    expect(outcomes(env, facts)).toEqual({
      afic: 'POLICY.ONWARD_SHARING_NEEDS_CONSENT',
      'afic-partner-sn': 'POLICY.THIRD_COUNTRY_NOT_RELEASABLE',
      'cp-it': 'delivered',
      'jot-mare': 'POLICY.ONWARD_SHARING_NEEDS_CONSENT',
    });
  });

  it('reports an item recognised both by its bytes and by its selectors once, by its bytes', () => {
    const env = copy(['cp-it']);
    const same = { ...original, payloadSha256: factsFor(env).payloadSha256 };
    const facts = factsFor(env, { samePayload: same, selectors: ['s1', 's2'], selectorItems: [same] });
    expect(derivedFrom(env, facts)).toEqual([{ original: same, by: 'payload' }]);
  });

  it('describes how an item was recognised: by its bytes, or by how many of its selectors', () => {
    expect(describeDerived({ original, by: 'payload' })).toBe(`${original.messageId} of emlo-ne`);
    expect(describeDerived({ original, by: 'selectors', shared: 2 })).toBe(
      `${original.messageId} of emlo-ne (2 of its 3 selectors)`,
    );
    expect(
      describeDerived({ original: { ...original, selectors: undefined }, by: 'selectors', shared: 0 }),
    ).toBe(`${original.messageId} of emlo-ne (0 of its 0 selectors)`);
  });

  it('leaves a byte-for-byte copy to the submission rule: the per-recipient rule judges reworded copies only', () => {
    const env = copy(['afic']);
    const same = { ...original, payloadSha256: factsFor(env).payloadSha256 };
    const facts = factsFor(env, { samePayload: same, selectors: [] });
    const onlyHolders = { submission: [], recipient: [derivedReachesHoldersOnly] };
    // afic does not hold the original, yet the per-recipient rule alone lets the copy through to it.
    expect(outcomes(env, facts, directory, onlyHolders).afic).toBe('delivered');
    expect(
      decideSubmission(env, directory, facts, { ...onlyHolders, submission: SUBMISSION_RULES }).refusal?.rule,
    ).toBe('POLICY.ONWARD_SHARING_NEEDS_CONSENT');
  });

  it('takes on only the selectors a corroboration actually carries, per originator', () => {
    const derived: DerivedFrom[] = [
      {
        original: { ...original, borrowedSelectors: { afic: ['s3'], 'jot-mare': ['s9'] } },
        by: 'selectors',
        shared: 2,
      },
      // Recognised by its bytes: its selectors are not taken on as borrowed.
      { original: { ...original, originator: 'cp-it', selectors: ['s1'] }, by: 'payload' },
    ];
    // jot-mare's s9 is not carried: jot-mare is not listed at all.
    expect(borrowedSelectorsOf(['s1', 's3'], derived)).toEqual({ afic: ['s3'], 'emlo-ne': ['s1', 's3'] });
    expect(borrowedSelectorsOf(['s8'], derived)).toBeUndefined();
  });
});

describe('AMBER+STRICT refusals say what is AMBER+STRICT', () => {
  const strict = item({
    originator: 'emlo-ne',
    recipients: ['cp-it'],
    tlp: Tlp.AMBER_STRICT,
    selectors: ['s1', 's2'],
  });

  it('names the item itself when a request concerns it', () => {
    const env = envelope({
      sender: 'cp-it',
      recipients: ['emlo-ne'],
      payload: { case: 'shareRequest', value: create(ShareRequestSchema, { messageId: strict.messageId }) },
    });
    expect(decideSubmission(env, directory, factsFor(env, { item: strict })).refusal).toEqual({
      rule: 'POLICY.AMBER_STRICT_NO_ONWARD',
      reason: 'the item is TLP AMBER+STRICT',
    });
  });

  it('names the item a forward cites', () => {
    const env = envelope({
      sender: 'cp-it',
      recipients: ['cp-gr'],
      consentRef: 'decision-1',
      tlp: Tlp.AMBER_STRICT,
    });
    const facts = factsFor(env, { item: { ...strict, payloadSha256: factsFor(env).payloadSha256 } });
    expect(decideSubmission(env, directory, facts).refusal?.reason).toBe('the item is TLP AMBER+STRICT');
  });

  it('names the original a new item re-publishes', () => {
    const env = envelope({ sender: 'cp-it', recipients: ['cp-gr'], tlp: Tlp.AMBER_STRICT });
    const facts = factsFor(env, { selectors: ['s1', 's2'], selectorItems: [strict] });
    expect(decideSubmission(env, directory, facts).refusal).toEqual({
      rule: 'POLICY.AMBER_STRICT_NO_ONWARD',
      reason: `the intelligence is ${strict.messageId} of emlo-ne, TLP AMBER+STRICT`,
    });
  });

  it("lets the originator forward its own AMBER+STRICT intelligence's bytes: only others' is held back", () => {
    const env = envelope({ sender: 'emlo-ne', recipients: ['cp-gr'], consentRef: 'decision-1' });
    const own = { ...strict, payloadSha256: factsFor(env).payloadSha256 };
    // No consent exists: refused for that, not as AMBER+STRICT.
    expect(verdict(env, factsFor(env, { samePayload: own }))).toBe('POLICY.FORWARD_CONSENT_INVALID');
    const theirs = factsFor({ ...env, sender: 'cp-it' }, { samePayload: own });
    expect(verdict({ ...env, sender: 'cp-it' }, theirs)).toBe('POLICY.AMBER_STRICT_NO_ONWARD');
  });
});
