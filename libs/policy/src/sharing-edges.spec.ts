import { describe, expect, it } from '@jest/globals';
import { create } from '@bufbuild/protobuf';
import {
  HandlingCode,
  RecallSchema,
  ReleasabilityScope,
  ReleasabilitySchema,
  ShareDecisionSchema,
  ShareRequestSchema,
  Tlp,
  type Envelope,
} from '#contracts';
import { parseDirectory, type Directory } from '#directory';
import { testDirectory } from '#testing';
import { candidatesOf, decideRecipients, decideSubmission } from './decide-recipients.js';
import { borrowedSelectorsOf, derivedFrom } from './derived-intelligence.js';
import { envelope, factsFor, item } from './policy-fixtures.js';
import { SHARING_RULES } from './rules.js';
import { originatorOnly } from './submission-rules.js';

/**
 * Facts of the sharing rules at their edges: who counts as a candidate and why, agreements that only
 * together cover an item, records from before a field existed, and what the decisions say.
 */
const directory = testDirectory();
const ITEM_ID = item().messageId;

/** The facts of a share decision that answers cp-it's request to share the item with afic. */
const answeringFacts = (decision: Envelope) =>
  factsFor(decision, {
    item: item(),
    request: { requestId: 'request-1', messageId: ITEM_ID, requester: 'cp-it', proposedRecipients: ['afic'] },
  });

describe('candidates and why they are candidates', () => {
  it('a named recipient that also subscribes is one candidate, named, with the topic it subscribed through', () => {
    // cp-it subscribes to intel.*.central-med; the route report is on the central Mediterranean.
    const env = envelope({ recipients: ['cp-it'] });
    const cpIt = candidatesOf(env, directory, factsFor(env)).filter((c) => c.node === 'cp-it');
    expect(cpIt).toEqual([expect.objectContaining({ named: true, viaTopics: ['intel.route.central-med'] })]);
  });

  it('a recipient named twice is one candidate, through no topic', () => {
    const env = envelope({ recipients: ['emlo-ne', 'emlo-ne'] });
    const named = candidatesOf(env, directory, factsFor(env)).filter((c) => c.node === 'emlo-ne');
    expect(named).toHaveLength(1);
    expect(named[0].named).toBe(true);
    expect(named[0].viaTopics).toStrictEqual([]);
  });

  it('the recipients of a recall are named: the parties concerned, whoever the originator names', () => {
    const recall = envelope({
      sender: 'emlo-ne',
      recipients: [],
      payload: {
        case: 'recall',
        value: create(RecallSchema, { messageId: ITEM_ID, explanation: 'withdrawn by the originator' }),
      },
    });
    const candidates = candidatesOf(recall, directory, factsFor(recall, { item: item() }));
    expect(candidates.map((c) => [c.node, c.named, c.viaTopics])).toEqual([
      ['cp-it', true, []],
      ['jot-mare', true, []],
    ]);
  });

  it("a share request goes to the item's originator, whoever it names", () => {
    const request = envelope({
      sender: 'cp-it',
      recipients: ['afic'],
      payload: {
        case: 'shareRequest',
        value: create(ShareRequestSchema, {
          messageId: ITEM_ID,
          proposedRecipients: ['afic'],
          justification: 'joint analysis',
        }),
      },
    });
    expect(candidatesOf(request, directory, factsFor(request, { item: item() })).map((c) => c.node)).toEqual([
      'emlo-ne',
    ]);
  });

  it('a share decision sent as TLP RED reaches the requester: it is named, not a subscriber', () => {
    const decision = envelope({
      sender: 'emlo-ne',
      recipients: [],
      tlp: Tlp.RED,
      payload: {
        case: 'shareDecision',
        value: create(ShareDecisionSchema, {
          requestId: 'request-1',
          messageId: ITEM_ID,
          granted: false,
          reason: 'ongoing investigation',
        }),
      },
    });
    const facts = answeringFacts(decision);
    expect(decideRecipients(decision, directory, facts)).toEqual([
      { recipient: 'cp-it', outcome: 'delivered', rule: 'POLICY.ALLOWED', reason: 'named by the sender' },
    ]);
  });
});

describe('agreements that cover an item only together', () => {
  /** Senegal under two agreements for H0–H2: one without personal data, one with a legal basis for it. */
  function senegal(agreements: Record<string, unknown>[]): Directory {
    const party = (id: string, kind: string, country: string) => ({
      id,
      kind,
      name: id,
      country,
      clearance: 'H3',
      subscriptions: [],
    });
    return parseDirectory({
      parties: [party('cp-gr', 'contact-point', 'GR'), party('afic-partner-sn', 'afic-partner', 'SN')],
      agreements,
    });
  }
  const agreement = (id: string, over: Record<string, unknown>) => ({
    id,
    country: 'SN',
    title: id,
    personalData: false,
    handlingCodes: ['H0', 'H1', 'H2'],
    ...over,
  });
  const personalData = envelope({
    recipients: ['afic-partner-sn'],
    handlingCode: HandlingCode.H1,
    containsPersonalData: true,
    releasability: create(ReleasabilitySchema, {
      scope: ReleasabilityScope.THIRD_COUNTRIES,
      thirdCountries: ['SN'],
    }),
  });
  const outcome = (dir: Directory) => {
    const [d] = decideRecipients(personalData, dir, factsFor(personalData));
    return d.outcome === 'delivered' ? 'delivered' : d.rule;
  };

  it('personal data goes where one of the agreements that cover the code states a legal basis for it', () => {
    const dir = senegal([
      agreement('sn-operational', {}),
      agreement('sn-status', { personalData: true, legalBasis: 'Regulation (EU) 2019/1896, Art. 86' }),
    ]);
    expect(outcome(dir)).toBe('delivered');
  });

  it('a legal basis stated in an agreement that does not cover personal data is no basis for it', () => {
    const dir = senegal([agreement('sn-operational', { legalBasis: 'Regulation (EU) 2019/1896, Art. 73' })]);
    expect(outcome(dir)).toBe('POLICY.THIRD_COUNTRY_PERSONAL_DATA');
  });
});

describe('rules that hold on their own', () => {
  it('a forwarded copy without a registered consent reaches no one, even by the recipient rules alone', () => {
    const forward = envelope({ sender: 'cp-it', recipients: ['afic'], consentRef: 'decision-9' });
    expect(
      decideRecipients(forward, directory, factsFor(forward), { submission: [], recipient: SHARING_RULES }),
    ).toEqual([expect.objectContaining({ recipient: 'afic', rule: 'POLICY.FORWARD_NOT_CONSENTED' })]);
  });

  it('the router never decides on sharing in the originator’s place', () => {
    const decision = envelope({
      sender: 'msx-router',
      payload: {
        case: 'shareDecision',
        value: create(ShareDecisionSchema, { requestId: 'request-1', messageId: ITEM_ID, granted: true }),
      },
    });
    const verdict = originatorOnly.check({
      envelope: decision,
      sender: undefined,
      directory,
      facts: factsFor(decision, { item: item() }),
    });
    expect(verdict).toBe(`msx-router is not the originator of ${ITEM_ID} (emlo-ne is)`);
  });

  it('a share decision granting parties that were not asked for names each of them', () => {
    const decision = envelope({
      sender: 'emlo-ne',
      payload: {
        case: 'shareDecision',
        value: create(ShareDecisionSchema, {
          requestId: 'request-1',
          messageId: ITEM_ID,
          granted: true,
          grantedRecipients: ['afic', 'cp-gr', 'euaa'],
        }),
      },
    });
    const facts = answeringFacts(decision);
    expect(decideSubmission(decision, directory, facts).refusal).toEqual({
      rule: 'POLICY.SHARE_REQUEST_UNKNOWN',
      reason: 'cp-gr, euaa were not in the request',
    });
  });
});

describe('records from before the exchange kept selectors', () => {
  it('an item recorded without selectors makes no new item derived from it', () => {
    const env = envelope({ sender: 'cp-it' });
    const old = item({ selectors: undefined });
    expect(derivedFrom(env, factsFor(env, { selectors: ['a'.repeat(64)], selectorItems: [old] }))).toEqual(
      [],
    );
  });

  it('what an item borrowed is recorded the same whatever order its originals came in', () => {
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((x) => x.repeat(64));
    const fromIt = item({ messageId: 'm-1', originator: 'emlo-ne', selectors: [d, b] });
    const fromGr = item({ messageId: 'm-2', originator: 'cp-gr', selectors: [c, a] });
    const taken = borrowedSelectorsOf(
      [a, b, c, d],
      [
        { original: fromIt, by: 'selectors', shared: 2 },
        { original: fromGr, by: 'selectors', shared: 2 },
      ],
    );
    expect(JSON.stringify(taken)).toBe(JSON.stringify({ 'cp-gr': [a, c], 'emlo-ne': [b, d] }));
  });
});
