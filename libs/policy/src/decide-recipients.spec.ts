import { describe, expect, it } from '@jest/globals';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  AnalysisProductSchema,
  FinancialLeadSchema,
  HandlingCode,
  RecallSchema,
  ReleasabilityScope,
  ReleasabilitySchema,
  ShareDecisionSchema,
  ShareRequestSchema,
  SuspectVesselReportSchema,
  Tlp,
  ErasureReceiptSchema,
  DeliveryReceiptSchema,
} from '#contracts';
import { testDirectory } from '#testing';
import { decideRecipients, decideSubmission, candidatesOf } from './decide-recipients.js';
import type { IdClaimRecord } from './facts.js';
import { envelope, factsFor, item, NOW_MS } from './policy-fixtures.js';
import { topicsOf } from './topics.js';

const directory = testDirectory();
/**
 * Every party but the sender cp-gr and the matching service (which receives tokens only: see
 * blind-matching.spec.ts), named explicitly, so each kind meets each rule.
 */
const EVERYONE = directory.nodeIds().filter((n) => n !== 'cp-gr' && n !== 'hit-no-hit');

/** `delivered` or the code of the rule that withheld. */
type Outcome = string;

/** The decisions as recipient → `delivered` or the withholding rule's code. */
function outcomes(env = envelope(), facts = factsFor(env)): Record<string, Outcome> {
  return Object.fromEntries(
    decideRecipients(env, directory, facts).map((d) => [
      d.recipient,
      d.outcome === 'delivered' ? 'delivered' : d.rule,
    ]),
  );
}

/** Everyone delivered except the listed recipients. */
function expectOutcomes(
  actual: Record<string, Outcome>,
  withheld: Record<string, string>,
  everyone = EVERYONE,
): void {
  expect(actual).toEqual(Object.fromEntries(everyone.map((n) => [n, withheld[n] ?? 'delivered'])));
}

describe('topics', () => {
  it('derives intel.<type>.<route> from the payload and route', () => {
    expect(topicsOf(envelope())).toEqual(['intel.route.central-med']);
  });

  it('gives control messages no topic', () => {
    expect(topicsOf(envelope({ payload: { case: 'recall', value: create(RecallSchema, {}) } }))).toEqual([]);
  });
});

describe('recipient rules against every kind of party', () => {
  const named = { recipients: EVERYONE };

  it.each<[string, Parameters<typeof envelope>[0], Record<string, string>]>([
    [
      'H0 GREEN released to NE, SN, ML: only statistics and the country without agreement are withheld',
      {},
      { eurostat: 'POLICY.AGGREGATES_ONLY', 'afic-partner-ml': 'POLICY.THIRD_COUNTRY_NO_AGREEMENT' },
    ],
    [
      'H1 exceeds the H0 clearance of eurostat',
      { handlingCode: HandlingCode.H1 },
      { eurostat: 'POLICY.RECIPIENT_NOT_CLEARED', 'afic-partner-ml': 'POLICY.THIRD_COUNTRY_NO_AGREEMENT' },
    ],
    [
      'H2 reaches only parties cleared for H2, and a third country whose agreement covers H2',
      { handlingCode: HandlingCode.H2 },
      {
        euaa: 'POLICY.RECIPIENT_NOT_CLEARED',
        eurostat: 'POLICY.RECIPIENT_NOT_CLEARED',
        'afic-partner-ne': 'POLICY.RECIPIENT_NOT_CLEARED',
        'afic-partner-ml': 'POLICY.RECIPIENT_NOT_CLEARED',
      },
    ],
    [
      'H3 reaches only parties cleared for H3',
      { handlingCode: HandlingCode.H3, handlingRestriction: 'not to be used for visa decisions' },
      Object.fromEntries(
        ['afic', 'emlo-ne', 'euaa', 'eurostat', 'afic-partner-ne', 'afic-partner-sn', 'afic-partner-ml'].map(
          (n) => [n, 'POLICY.RECIPIENT_NOT_CLEARED'],
        ),
      ),
    ],
    [
      'EU only keeps every third country out',
      { releasability: create(ReleasabilitySchema, { scope: ReleasabilityScope.EU_ONLY }) },
      {
        eurostat: 'POLICY.AGGREGATES_ONLY',
        'afic-partner-ne': 'POLICY.THIRD_COUNTRY_NOT_RELEASABLE',
        'afic-partner-sn': 'POLICY.THIRD_COUNTRY_NOT_RELEASABLE',
        'afic-partner-ml': 'POLICY.THIRD_COUNTRY_NO_AGREEMENT',
      },
    ],
    [
      'personal data reaches only the third country whose agreement states a legal basis',
      { containsPersonalData: true },
      {
        eurostat: 'POLICY.AGGREGATES_ONLY',
        'afic-partner-ne': 'POLICY.THIRD_COUNTRY_PERSONAL_DATA',
        'afic-partner-ml': 'POLICY.THIRD_COUNTRY_NO_AGREEMENT',
      },
    ],
  ])('%s', (_title, over, withheld) => {
    expectOutcomes(outcomes(envelope({ ...named, ...over })), withheld);
  });

  it('withholds from a third country whose agreement does not cover the handling code', () => {
    const d = testDirectory();
    const env = envelope({
      recipients: ['afic-partner-sn'],
      handlingCode: HandlingCode.H3,
      handlingRestriction: 'x',
    });
    // Senegal's clearance is H2, so H3 stops at the clearance; lift it to show the agreement rule.
    d.party('afic-partner-sn')!.clearance = 'H3';
    const decision = decideRecipients(env, d, factsFor(env)).find((x) => x.recipient === 'afic-partner-sn');
    expect(decision).toMatchObject({ outcome: 'withheld', rule: 'POLICY.THIRD_COUNTRY_HANDLING_CODE' });
  });

  it('delivers TLP RED to named recipients only, never to subscribers', () => {
    expectOutcomes(
      outcomes(envelope({ tlp: Tlp.RED, recipients: ['cp-it'] })),
      {
        'jot-mare': 'POLICY.TLP_RED_NAMED_ONLY',
        afic: 'POLICY.TLP_RED_NAMED_ONLY',
        'afic-partner-sn': 'POLICY.TLP_RED_NAMED_ONLY',
      },
      ['afic', 'afic-partner-sn', 'cp-it', 'jot-mare'],
    );
    const red = envelope({ tlp: Tlp.RED, recipients: ['cp-it'] });
    expect(
      decideRecipients(red, directory, factsFor(red)).find((d) => d.recipient === 'jot-mare')?.reason,
    ).toBe('TLP RED and jot-mare was not named by the sender');
  });

  it('gives an item meant for its named recipients only to them, and to no subscriber', () => {
    const env = envelope({ recipients: ['cp-it'], namedRecipientsOnly: true });
    expect(candidatesOf(env, directory, factsFor(env)).map((c) => c.node)).toEqual(['cp-it']);
    expectOutcomes(outcomes(env), {}, ['cp-it']);
  });

  it('keeps H2 from a third country that only subscribed: the originator must name it', () => {
    expectOutcomes(
      outcomes(envelope({ handlingCode: HandlingCode.H2, recipients: ['cp-it'] })),
      { 'afic-partner-sn': 'POLICY.THIRD_COUNTRY_NEEDS_CONSENT' },
      ['afic', 'afic-partner-sn', 'cp-it', 'jot-mare'],
    );
  });

  it('gives statistics recipients aggregated products without personal data only', () => {
    const product = (aggregated: boolean, containsPersonalData: boolean) =>
      envelope({
        sender: 'jot-mare',
        recipients: ['eurostat'],
        containsPersonalData,
        payload: {
          case: 'analysisProduct',
          value: create(AnalysisProductSchema, { aggregated, title: 'Q3 arrivals' }),
        },
      });
    expect(outcomes(product(true, false))).toEqual({ eurostat: 'delivered' });
    expect(outcomes(product(false, false))).toEqual({ eurostat: 'POLICY.AGGREGATES_ONLY' });
    expect(outcomes(product(true, true))).toEqual({ eurostat: 'POLICY.AGGREGATES_ONLY' });
  });

  it('withholds from a named recipient that is not in the directory', () => {
    expect(outcomes(envelope({ recipients: ['cp-xx'] }))['cp-xx']).toBe('POLICY.RECIPIENT_UNKNOWN');
  });

  it('gives every candidate exactly one decision and never the sender', () => {
    const env = envelope({ recipients: [...EVERYONE, 'cp-gr', 'cp-it'] });
    const recipients = decideRecipients(env, directory, factsFor(env)).map((d) => d.recipient);
    expect(recipients).toEqual([...new Set(recipients)]);
    expect(recipients).not.toContain('cp-gr');
    expect(recipients.sort()).toEqual([...EVERYONE].sort());
  });
});

describe('submission rules withhold from every candidate', () => {
  const allWithheld = (env: ReturnType<typeof envelope>, code: string, facts = factsFor(env)) => {
    const decisions = decideRecipients(env, directory, facts);
    expect(decisions.length).toBeGreaterThan(0);
    for (const d of decisions) expect(d).toMatchObject({ outcome: 'withheld', rule: code });
  };

  it('refuses a sender that is not a party', () => {
    allWithheld(envelope({ sender: 'cp-xx', recipients: ['cp-it'] }), 'POLICY.SENDER_UNKNOWN');
  });

  it('refuses types the sender kind may not publish', () => {
    allWithheld(
      envelope({
        sender: 'afic-partner-ne',
        recipients: ['cp-it'],
        payload: { case: 'financialLead', value: create(FinancialLeadSchema, {}) },
      }),
      'POLICY.TYPE_NOT_PERMITTED',
    );
    allWithheld(
      envelope({
        sender: 'emlo-ne',
        recipients: ['cp-it'],
        payload: { case: 'suspectVesselReport', value: create(SuspectVesselReportSchema, {}) },
      }),
      'POLICY.TYPE_NOT_PERMITTED',
    );
    allWithheld(
      envelope({
        recipients: ['cp-it'],
        payload: { case: 'deliveryReceipt', value: create(DeliveryReceiptSchema, {}) },
      }),
      'POLICY.TYPE_NOT_PERMITTED',
    );
  });

  it('delivers nothing that has expired', () => {
    allWithheld(
      envelope({ recipients: ['cp-it'], expiresAt: timestampFromMs(NOW_MS - 1) }),
      'POLICY.EXPIRED',
    );
  });

  it("refuses another party's restricted intelligence re-submitted as new", () => {
    const env = envelope({ recipients: ['cp-it'] });
    allWithheld(
      env,
      'POLICY.ONWARD_SHARING_NEEDS_CONSENT',
      factsFor(env, { samePayload: item({ originator: 'emlo-ne' }) }),
    );
    // The originator itself may send it again, and H0 GREEN intelligence may be passed on freely.
    const own = factsFor(env, { samePayload: item({ originator: 'cp-gr' }) });
    expect(decideRecipients(env, directory, own).every((d) => d.outcome === 'delivered')).toBe(true);
    const open = factsFor(env, { samePayload: item({ handlingCode: HandlingCode.H0, tlp: Tlp.GREEN }) });
    expect(decideRecipients(env, directory, open).every((d) => d.outcome === 'delivered')).toBe(true);
  });
});

describe('originator control', () => {
  const original = item({ originator: 'emlo-ne', recipients: ['cp-it', 'jot-mare'] });
  const shareRequest = (sender: string) =>
    envelope({
      sender,
      recipients: ['emlo-ne'],
      handlingCode: HandlingCode.H2,
      tlp: Tlp.AMBER,
      payload: {
        case: 'shareRequest',
        value: create(ShareRequestSchema, {
          messageId: original.messageId,
          proposedRecipients: ['cp-mt'],
          justification: 'x',
        }),
      },
    });

  it('sends a share request to the originator only, from a party that received the item', () => {
    const env = shareRequest('cp-it');
    expect(outcomes(env, factsFor(env, { item: original }))).toEqual({ 'emlo-ne': 'delivered' });
    const stranger = shareRequest('cp-gr');
    expect(outcomes(stranger, factsFor(stranger, { item: original }))).toEqual({
      'emlo-ne': 'POLICY.NOT_A_RECIPIENT',
    });
    expect(outcomes(env, factsFor(env))).toEqual({ 'emlo-ne': 'POLICY.ITEM_UNKNOWN' });
  });

  it('never lets AMBER+STRICT be asked for, let alone shared onward', () => {
    const env = shareRequest('cp-it');
    expect(outcomes(env, factsFor(env, { item: { ...original, tlp: Tlp.AMBER_STRICT } }))).toEqual({
      'emlo-ne': 'POLICY.AMBER_STRICT_NO_ONWARD',
    });
  });

  const request = {
    requestId: 'req-1',
    messageId: original.messageId,
    requester: 'cp-it',
    proposedRecipients: ['cp-gr', 'jot-mare'],
  };
  const decision = (sender: string, granted: string[]) =>
    envelope({
      sender,
      recipients: ['cp-it'],
      payload: {
        case: 'shareDecision',
        value: create(ShareDecisionSchema, {
          requestId: 'req-1',
          messageId: original.messageId,
          granted: true,
          grantedRecipients: granted,
          reason: 'ok',
        }),
      },
    });

  it('takes a share decision from the originator only, answering a recorded request within what was asked', () => {
    const ok = decision('emlo-ne', ['cp-gr']);
    expect(outcomes(ok, factsFor(ok, { item: original, request }))).toEqual({ 'cp-it': 'delivered' });
    const usurper = decision('jot-mare', ['cp-gr']);
    expect(outcomes(usurper, factsFor(usurper, { item: original, request }))).toEqual({
      'cp-it': 'POLICY.NOT_ORIGINATOR',
    });
    expect(outcomes(ok, factsFor(ok, { item: original }))).toEqual({
      'cp-it': 'POLICY.SHARE_REQUEST_UNKNOWN',
    });
    const more = decision('emlo-ne', ['cp-gr', 'afic']);
    expect(outcomes(more, factsFor(more, { item: original, request }))).toEqual({
      'cp-it': 'POLICY.SHARE_REQUEST_UNKNOWN',
    });
  });

  const forwardOf = (sender: string, recipients: string[]) =>
    envelope({ sender, recipients, consentRef: 'decision-1', handlingCode: HandlingCode.H2, tlp: Tlp.AMBER });
  const consent = {
    decisionId: 'decision-1',
    messageId: original.messageId,
    originator: 'emlo-ne',
    requester: 'cp-it',
    granted: true,
    grantedRecipients: ['cp-gr'],
    validUntilMs: NOW_MS + 3_600_000,
  };

  it('forwards to the consented recipients only', () => {
    const env = forwardOf('cp-it', ['cp-gr', 'afic']);
    const facts = factsFor(env, {
      item: { ...original, payloadSha256: factsFor(env).payloadSha256 },
      consent,
    });
    expect(outcomes(env, facts)).toEqual({ 'cp-gr': 'delivered', afic: 'POLICY.FORWARD_NOT_CONSENTED' });
  });

  it.each([
    ['no consent is registered', undefined, {}],
    ['the consent was given to another party', consent, { requester: 'jot-mare' }],
    ['the originator refused', consent, { granted: false }],
    ['the consent expired', consent, { validUntilMs: NOW_MS - 1 }],
  ])('refuses a forward when %s', (_why, base, change) => {
    const env = forwardOf('cp-it', ['cp-gr']);
    const facts = factsFor(env, {
      item: { ...original, payloadSha256: factsFor(env).payloadSha256 },
      consent: base && { ...base, ...change },
    });
    expect(outcomes(env, facts)).toEqual({ 'cp-gr': 'POLICY.FORWARD_CONSENT_INVALID' });
  });

  it('refuses a forward whose content differs from the consented item or weakens its handling', () => {
    const env = forwardOf('cp-it', ['cp-gr']);
    const other = { ...original, payloadSha256: 'f'.repeat(64) };
    expect(outcomes(env, factsFor(env, { item: other, consent }))).toEqual({
      'cp-gr': 'POLICY.FORWARD_CONSENT_INVALID',
    });
    const weaker = envelope({
      sender: 'cp-it',
      recipients: ['cp-gr'],
      consentRef: 'decision-1',
      handlingCode: HandlingCode.H0,
    });
    const facts = factsFor(weaker, {
      item: { ...original, payloadSha256: factsFor(weaker).payloadSha256 },
      consent,
    });
    expect(outcomes(weaker, facts)).toEqual({ 'cp-gr': 'POLICY.FORWARD_CONSENT_INVALID' });
  });
});

describe('recall and erasure', () => {
  const original = item({ originator: 'emlo-ne', recipients: ['cp-it', 'afic-partner-ml'] });
  const recall = (sender: string) =>
    envelope({
      sender,
      recipients: [],
      releasability: create(ReleasabilitySchema, { scope: ReleasabilityScope.EU_ONLY }),
      payload: { case: 'recall', value: create(RecallSchema, { messageId: original.messageId }) },
    });

  it('recalls from everyone who received the item, whatever the rules say about new deliveries', () => {
    const env = recall('emlo-ne');
    expect(candidatesOf(env, directory, factsFor(env, { item: original })).map((c) => c.node)).toEqual([
      'afic-partner-ml',
      'cp-it',
    ]);
    expect(outcomes(env, factsFor(env, { item: original }))).toEqual({
      'afic-partner-ml': 'delivered',
      'cp-it': 'delivered',
    });
  });

  it('lets only the originator (or the router, on expiry) recall', () => {
    const env = recall('cp-it');
    expect(outcomes(env, factsFor(env, { item: original }))).toEqual({
      'afic-partner-ml': 'POLICY.NOT_ORIGINATOR',
    });
    const expiry = recall('msx-router');
    expect(outcomes(expiry, factsFor(expiry, { item: original }))).toEqual({
      'afic-partner-ml': 'delivered',
      'cp-it': 'delivered',
    });
  });

  it("sends a recipient's erasure receipt to the originator", () => {
    const env = envelope({
      sender: 'cp-it',
      payload: {
        case: 'erasureReceipt',
        value: create(ErasureReceiptSchema, { messageId: original.messageId }),
      },
    });
    expect(outcomes(env, factsFor(env, { item: original }))).toEqual({ 'emlo-ne': 'delivered' });
  });
});

describe('an item id belongs to its originator from first sight', () => {
  const FIRST_SEEN_MS = Date.UTC(2026, 10, 27, 9, 30);
  /** The id of the fixture envelope, first carried by `originator`'s submission number `submitSeq`. */
  const claim = (originator: string, submitSeq: number): IdClaimRecord => ({
    messageId: envelope().id,
    originator,
    sha256: 'a'.repeat(64),
    submitSeq,
    firstSeenAtMs: FIRST_SEEN_MS,
  });

  it("refuses another party's submission under an id that already belongs to an item, naming no one", () => {
    const env = envelope({ recipients: ['cp-it'] });
    const { refusal, decisions } = decideSubmission(
      env,
      directory,
      factsFor(env, { submitSeq: 9, idClaim: claim('emlo-ne', 5) }),
    );
    expect(refusal).toEqual({
      rule: 'POLICY.ID_ALREADY_USED',
      reason: `id ${env.id} already belongs to an item first seen at 2026-11-27T09:30:00.000Z`,
    });
    expect(refusal!.reason).not.toContain('emlo-ne');
    expect(decisions.length).toBeGreaterThan(0);
    for (const d of decisions)
      expect(d).toMatchObject({ outcome: 'withheld', rule: 'POLICY.ID_ALREADY_USED' });
  });

  it('routes a redelivery of the submission that first carried the id', () => {
    const env = envelope({ recipients: ['cp-it'] });
    const again = decideSubmission(
      env,
      directory,
      factsFor(env, { submitSeq: 5, idClaim: claim('cp-gr', 5) }),
    );
    expect(again.refusal).toBeUndefined();
    expect(again.decisions.find((d) => d.recipient === 'cp-it')?.outcome).toBe('delivered');
  });

  it("refuses the originator's own second submission under the same id (after the deduplication window)", () => {
    const env = envelope({ recipients: ['cp-it'] });
    const { refusal } = decideSubmission(
      env,
      directory,
      factsFor(env, { submitSeq: 6, idClaim: claim('cp-gr', 5) }),
    );
    expect(refusal?.rule).toBe('POLICY.ID_ALREADY_USED');
    expect(refusal?.reason).toMatch(/a new submission needs a new id$/);
  });

  it('refuses a party that claims the same submission sequence under another name', () => {
    const env = envelope({ recipients: ['cp-it'] });
    const { refusal } = decideSubmission(
      env,
      directory,
      factsFor(env, { submitSeq: 5, idClaim: claim('emlo-ne', 5) }),
    );
    expect(refusal?.rule).toBe('POLICY.ID_ALREADY_USED');
  });

  it('checks the id before anything else about the submission but after the sender', () => {
    const notPermitted = envelope({
      sender: 'afic-partner-ne',
      recipients: ['cp-it'],
      payload: { case: 'financialLead', value: create(FinancialLeadSchema, {}) },
    });
    const reused = factsFor(notPermitted, { submitSeq: 9, idClaim: claim('emlo-ne', 5) });
    expect(decideSubmission(notPermitted, directory, reused).refusal?.rule).toBe('POLICY.ID_ALREADY_USED');
    const stranger = envelope({ sender: 'cp-xx', recipients: ['cp-it'] });
    const strangerFacts = factsFor(stranger, { submitSeq: 9, idClaim: claim('emlo-ne', 5) });
    expect(decideSubmission(stranger, directory, strangerFacts).refusal?.rule).toBe('POLICY.SENDER_UNKNOWN');
  });

  it('reports a refusal even when there is no candidate to withhold from', () => {
    const env = envelope({
      sender: 'cp-it',
      payload: { case: 'shareRequest', value: create(ShareRequestSchema, { messageId: item().messageId }) },
    });
    const { refusal, decisions } = decideSubmission(env, directory, factsFor(env));
    expect(decisions).toEqual([]);
    expect(refusal).toEqual({
      rule: 'POLICY.ITEM_UNKNOWN',
      reason: `no item ${item().messageId} was routed through the exchange`,
    });
  });
});
