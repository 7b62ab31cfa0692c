import { describe, expect, it } from '@jest/globals';
import { create } from '@bufbuild/protobuf';
import {
  AcknowledgementSchema,
  HandlingCode,
  Tlp,
  BlindAnswerSchema,
  BlindIndexUpdateSchema,
  BlindQueryNoticeSchema,
  BlindQuerySchema,
  FinancialLeadSchema,
  HitNoticeSchema,
  type Envelope,
} from '#contracts';
import { testDirectory } from '#testing';
import { decideSubmission } from './decide-recipients.js';
import { envelope, factsFor } from './policy-fixtures.js';

/**
 * Blind hit/no-hit (DESIGN §2): tokens reach the matching service and no one else; the matching service
 * receives nothing but tokens and sends nothing but answers and notices.
 */
const directory = testDirectory();
const MATCHER = 'hit-no-hit';

const query = (over: Parameters<typeof envelope>[0] = {}) =>
  envelope({
    sender: 'cp-it',
    recipients: [MATCHER],
    payload: { case: 'blindQuery', value: create(BlindQuerySchema, { keyId: 'mk-0000000000000000' }) },
    ...over,
  });
const update = (over: Parameters<typeof envelope>[0] = {}) =>
  envelope({
    sender: 'cp-it',
    recipients: [MATCHER],
    payload: { case: 'blindIndexUpdate', value: create(BlindIndexUpdateSchema, {}) },
    ...over,
  });
const answer = (over: Parameters<typeof envelope>[0] = {}) =>
  envelope({
    sender: MATCHER,
    recipients: ['cp-it'],
    payload: { case: 'blindAnswer', value: create(BlindAnswerSchema, {}) },
    ...over,
  });
const notice = (over: Parameters<typeof envelope>[0] = {}) =>
  envelope({
    sender: MATCHER,
    recipients: ['cp-gr'],
    payload: { case: 'blindQueryNotice', value: create(BlindQueryNoticeSchema, {}) },
    ...over,
  });

function decide(env: Envelope) {
  const d = decideSubmission(env, directory, factsFor(env));
  return {
    refusal: d.refusal,
    decisions: Object.fromEntries(
      d.decisions.map((x) => [x.recipient, x.outcome === 'delivered' ? 'delivered' : x.rule]),
    ),
  };
}

describe('blind matching at the router', () => {
  it('delivers index updates and queries to the matching service', () => {
    expect(decide(query())).toEqual({ refusal: undefined, decisions: { [MATCHER]: 'delivered' } });
    expect(decide(update())).toEqual({ refusal: undefined, decisions: { [MATCHER]: 'delivered' } });
  });

  it('refuses tokens addressed to anyone else, even beside the matching service', () => {
    const aside = decide(query({ recipients: [MATCHER, 'cp-gr'] }));
    expect(aside.refusal).toEqual({
      rule: 'POLICY.BLIND_MATCHING',
      reason: 'blindQuery goes to matching services only, not to cp-gr',
    });
    expect(aside.decisions).toEqual({ [MATCHER]: 'POLICY.BLIND_MATCHING', 'cp-gr': 'POLICY.BLIND_MATCHING' });
    expect(decide(update({ recipients: ['jot-mare', 'cp-gr'] })).refusal?.reason).toBe(
      'blindIndexUpdate goes to matching services only, not to jot-mare, cp-gr',
    );
    expect(decide(update({ recipients: ['cp-xx'] })).refusal?.rule).toBe('POLICY.BLIND_MATCHING');
  });

  it('refuses tokens that name no recipient', () => {
    expect(decide(query({ recipients: [] })).refusal).toEqual({
      rule: 'POLICY.BLIND_MATCHING',
      reason: 'blindQuery names no matching service',
    });
  });

  it('lets only the matching service answer and notify', () => {
    expect(decide(answer())).toEqual({ refusal: undefined, decisions: { 'cp-it': 'delivered' } });
    expect(decide(notice())).toEqual({ refusal: undefined, decisions: { 'cp-gr': 'delivered' } });
    expect(decide(answer({ sender: 'cp-gr' })).refusal).toEqual({
      rule: 'POLICY.BLIND_MATCHING',
      reason: 'only a matching service sends blindAnswer',
    });
    expect(decide(notice({ sender: 'jot-mare' })).refusal).toEqual({
      rule: 'POLICY.BLIND_MATCHING',
      reason: 'only a matching service sends blindQueryNotice',
    });
  });

  it('lets the matching service send nothing else', () => {
    for (const payload of [
      { case: 'hitNotice', value: create(HitNoticeSchema, {}) },
      { case: 'acknowledgement', value: create(AcknowledgementSchema, {}) },
      { case: 'blindQuery', value: create(BlindQuerySchema, {}) },
    ] as const) {
      expect(decide(envelope({ sender: MATCHER, recipients: ['cp-it'], payload })).refusal).toEqual({
        rule: 'POLICY.BLIND_MATCHING',
        reason: `a matching service sends blind answers and query notices only, not ${payload.case}`,
      });
    }
  });

  it('withholds everything else from the matching service, whoever names it', () => {
    const report = decide(envelope({ recipients: [MATCHER, 'cp-it'] }));
    expect(report.refusal).toBeUndefined();
    expect(report.decisions[MATCHER]).toBe('POLICY.MATCHER_TOKENS_ONLY');
    expect(report.decisions['cp-it']).toBe('delivered');
    const lead = envelope({
      sender: 'cp-it',
      recipients: [MATCHER],
      payload: { case: 'financialLead', value: create(FinancialLeadSchema, {}) },
    });
    const toMatcher = decideSubmission(lead, directory, factsFor(lead)).decisions;
    expect(toMatcher.filter((d) => d.recipient === MATCHER)).toEqual([
      {
        recipient: MATCHER,
        outcome: 'withheld',
        rule: 'POLICY.MATCHER_TOKENS_ONLY',
        reason: `${MATCHER} is a matching service: it receives tokens only, not financialLead`,
      },
    ]);
  });

  it('leaves other control messages between parties alone', () => {
    const hit = envelope({
      sender: 'cp-it',
      recipients: ['cp-gr'],
      payload: { case: 'hitNotice', value: create(HitNoticeSchema, {}) },
    });
    expect(decide(hit)).toEqual({ refusal: undefined, decisions: { 'cp-gr': 'delivered' } });
  });

  it('takes blind index updates and queries marked H0 or H1 and TLP CLEAR or GREEN only, without a restriction', () => {
    const refusal = (over: Parameters<typeof envelope>[0]) => decide(query(over)).refusal;
    for (const ok of [
      { handlingCode: HandlingCode.H1, tlp: Tlp.GREEN },
      { handlingCode: HandlingCode.H0, tlp: Tlp.CLEAR },
    ])
      expect(refusal(ok)).toBeUndefined();
    const why =
      'blindQuery carries tokens only: mark it H0 or H1 and TLP CLEAR or GREEN, without a handling restriction, so that every holder may be told of it';
    for (const bad of [
      { handlingCode: HandlingCode.H2 },
      { handlingCode: HandlingCode.H3, handlingRestriction: 'not for the account holders' },
      { tlp: Tlp.AMBER },
      { handlingCode: HandlingCode.H1, handlingRestriction: 'for the FIU only' },
    ])
      expect(refusal(bad)).toEqual({ rule: 'POLICY.BLIND_MATCHING', reason: why });
    expect(decide(update({ tlp: Tlp.RED })).refusal?.rule).toBe('POLICY.BLIND_MATCHING');
  });

  it('refuses a blind query or update that names a selector in its purpose', () => {
    const why = (type: string) => ({
      rule: 'POLICY.BLIND_MATCHING',
      reason: `${type} names a selector in its purpose: the matching service takes tokens only`,
    });
    expect(decide(query({ purpose: 'Who holds IT60 X054 2811 1010 0000 0123 456?' })).refusal).toEqual(
      why('blindQuery'),
    );
    const inPayload = query({
      payload: {
        case: 'blindQuery',
        value: create(BlindQuerySchema, {
          keyId: 'mk-0000000000000000',
          purpose: 'Calls from +218 91 234 5678',
        }),
      },
    });
    expect(decide(inPayload).refusal).toEqual(why('blindQuery'));
    expect(decide(update({ purpose: 'Index of IMO 9074729' })).refusal).toEqual(why('blindIndexUpdate'));
    const plain = query({
      purpose: 'Financial investigation of a smuggling network',
      payload: {
        case: 'blindQuery',
        value: create(BlindQuerySchema, { keyId: 'mk-0000000000000000', purpose: 'Tracing its proceeds' }),
      },
    });
    expect(decide(plain).refusal).toBeUndefined();
  });
});
