import { describe, expect, it } from '@jest/globals';
import { create } from '@bufbuild/protobuf';
import {
  AcknowledgementSchema,
  ErasureReceiptSchema,
  HandlingCode,
  InternetContentReferralSchema,
  ShareDecisionSchema,
  ShareRequestSchema,
  SuspectVesselReportSchema,
  Tlp,
} from '#contracts';
import { testDirectory } from '#testing';
import { decideRecipients, decideSubmission } from './decide-recipients.js';
import {
  borrowedSelectorsOf,
  carriesSelectorsOf,
  derivedFrom,
  MIN_SHARED_SELECTORS,
} from './derived-intelligence.js';
import type { ConsentRecord, ItemRecord, PolicyFacts } from './facts.js';
import { envelope, factsFor, item, NOW_MS } from './policy-fixtures.js';
import { selectorsOf } from './selectors.js';

const directory = testDirectory();
const AMBER_STRICT = 'POLICY.AMBER_STRICT_NO_ONWARD';
const NEEDS_CONSENT = 'POLICY.ONWARD_SHARING_NEEDS_CONSENT';

/** The refusal code of a submission, or `routed` when no submission rule refused it. */
function verdict(env: ReturnType<typeof envelope>, facts: PolicyFacts): string {
  return decideSubmission(env, directory, facts).refusal?.rule ?? 'routed';
}

/** Each candidate's outcome and rule, by recipient. */
function outcomes(env: ReturnType<typeof envelope>, facts: PolicyFacts): Record<string, string> {
  const decision = decideSubmission(env, directory, facts);
  expect(decision.refusal).toBeUndefined();
  return Object.fromEntries(decision.decisions.map((d) => [d.recipient, `${d.outcome} ${d.rule}`]));
}

/** The candidates withheld as onward sharing that needs consent. */
function withheldForConsent(env: ReturnType<typeof envelope>, facts: PolicyFacts): string[] {
  return decideSubmission(env, directory, facts)
    .decisions.filter((d) => d.outcome === 'withheld' && d.rule === NEEDS_CONSENT)
    .map((d) => d.recipient);
}

/** The vessel's identifying fields, changed by a test. */
interface VesselFields {
  imoNumber?: string;
  mmsi?: string;
  name?: string;
  flag?: string;
}

/** A suspect vessel report by `sender`: IMO, MMSI and vessel with flag, and a phone number in the narrative. */
const vesselReport = (sender: string, narrative: string, over: VesselFields = {}) =>
  envelope({
    id: '0193a1b2-0000-7000-8000-0000000000cc',
    sender,
    author: `${sender}.analyst-1`,
    recipients: ['cp-it', 'jot-mare', 'afic-partner-sn'],
    handlingCode: HandlingCode.H0,
    tlp: Tlp.GREEN,
    payload: {
      case: 'suspectVesselReport',
      value: create(SuspectVesselReportSchema, {
        imoNumber: '9074729',
        mmsi: '620999123',
        name: 'NOUR AL HUDA',
        flag: 'KM',
        narrative,
        ...over,
      }),
    },
  });

/** jot-mare's H2 report on the vessel, delivered to cp-gr and cp-it, refused to afic-partner-sn. */
const originalEnvelope = vesselReport(
  'jot-mare',
  'Sold in April to a company registered a week earlier; the broker answers on +218 91 234 5678.',
);
const original: ItemRecord = item({
  messageId: '0193a1b2-0000-7000-8000-0000000000bb',
  originator: 'jot-mare',
  type: 'suspectVesselReport',
  handlingCode: HandlingCode.H2,
  tlp: Tlp.AMBER,
  recipients: ['cp-gr', 'cp-it'],
  selectors: selectorsOf(originalEnvelope),
});

/** cp-gr's H0 GREEN rewording: one phrase changed, the same selectors. */
const reworded = vesselReport(
  'cp-gr',
  'Bought in April by a firm set up days before; its broker can be reached on +218912345678.',
);

describe('disguised onward sharing: a reworded copy is recognised by its selectors', () => {
  /** What the rule says of a candidate that does not hold the original. */
  const notHolder = (node: string, shared = 4) =>
    `it carries ${shared} of the selectors of ${original.messageId} of jot-mare, which ${node} does not hold; ask for consent with a share request`;
  /** What the rule says of a holder offered the intelligence with weaker handling. */
  const weaker = (shared = 4) =>
    `it carries ${shared} of the selectors of ${original.messageId} of jot-mare with weaker handling than the original`;

  it("withholds a recipient's reworded H0 GREEN copy of an H2 item from everyone, naming the original", () => {
    const facts = factsFor(reworded, { selectorItems: [original] });
    const decision = decideSubmission(reworded, directory, facts);
    // Decided per recipient, not refused as a whole: the holders would take a corroboration.
    expect(decision.refusal).toBeUndefined();
    expect(decision.decisions.map((d) => [d.recipient, d.outcome, d.rule, d.reason])).toEqual([
      // Refused the original: it must not learn it this way.
      ['afic-partner-sn', 'withheld', NEEDS_CONSENT, notHolder('afic-partner-sn')],
      // Holders (a recipient and the originator): not under weaker handling than the original's.
      ['cp-it', 'withheld', NEEDS_CONSENT, weaker()],
      ['jot-mare', 'withheld', NEEDS_CONSENT, weaker()],
    ]);
  });

  it('delivers a corroborating report with the same handling and TLP to the holders only', () => {
    const corroboration = {
      ...reworded,
      handlingCode: HandlingCode.H2,
      tlp: Tlp.AMBER,
      recipients: [...reworded.recipients, 'afic'],
    };
    const facts = factsFor(corroboration, { selectorItems: [original] });
    expect(outcomes(corroboration, facts)).toEqual({
      afic: `withheld ${NEEDS_CONSENT}`,
      'afic-partner-sn': `withheld ${NEEDS_CONSENT}`,
      'cp-it': 'delivered POLICY.ALLOWED',
      'jot-mare': 'delivered POLICY.ALLOWED',
    });
    const reasons = decideRecipients(corroboration, directory, facts).filter((d) => d.outcome === 'withheld');
    expect(reasons.map((d) => d.reason)).toEqual([notHolder('afic'), notHolder('afic-partner-sn')]);
    // Stricter handling than the original's reaches the holders as well.
    const stricter = { ...corroboration, handlingCode: HandlingCode.H3, tlp: Tlp.RED };
    expect(outcomes(stricter, factsFor(stricter, { selectorItems: [original] }))).toMatchObject({
      'cp-it': 'delivered POLICY.ALLOWED',
      'jot-mare': 'delivered POLICY.ALLOWED',
    });
  });

  it('withholds a corroboration with the same handling but a weaker TLP from the holders', () => {
    const green = { ...reworded, handlingCode: HandlingCode.H2, tlp: Tlp.GREEN };
    expect(outcomes(green, factsFor(green, { selectorItems: [original] }))).toMatchObject({
      'cp-it': `withheld ${NEEDS_CONSENT}`,
      'jot-mare': `withheld ${NEEDS_CONSENT}`,
    });
  });

  it('withholds from a holder of one original a copy that also carries an original it does not hold', () => {
    const other: ItemRecord = {
      ...original,
      messageId: '0193a1b2-0000-7000-8000-0000000000dd',
      originator: 'afic',
      recipients: ['cp-gr'],
    };
    const corroboration = { ...reworded, handlingCode: HandlingCode.H2, tlp: Tlp.AMBER };
    const facts = factsFor(corroboration, { selectorItems: [original, other] });
    // cp-it holds jot-mare's report but not afic's; neither does jot-mare, the originator of the first.
    expect(withheldForConsent(corroboration, facts)).toEqual(['afic-partner-sn', 'cp-it', 'jot-mare']);
    const cpIt = decideRecipients(corroboration, directory, facts).find((d) => d.recipient === 'cp-it');
    expect(cpIt?.reason).toContain(`${other.messageId} of afic, which cp-it does not hold`);
  });

  it('recognises a copy that keeps only two of the selectors, whatever else it says', () => {
    const partial = vesselReport('cp-gr', 'A cargo ship due for scrapping.', {
      name: '',
      flag: '',
      mmsi: '620999123',
    });
    const facts = factsFor(partial, { selectorItems: [original] });
    expect(withheldForConsent(partial, facts)).toEqual(['afic-partner-sn', 'cp-it', 'jot-mare']);
    const reasons = decideRecipients(partial, directory, facts).map((d) => d.reason);
    expect(reasons).toEqual([notHolder('afic-partner-sn', 2), weaker(2), weaker(2)]);
  });

  it('lets through an unrelated item that shares exactly one common selector', () => {
    const other = vesselReport('cp-gr', 'Same broker number, another ship: +218 91 234 5678.', {
      imoNumber: '9321483',
      mmsi: '247123456',
      name: 'STELLA MARIS',
      flag: 'IT',
    });
    const facts = factsFor(other, { selectorItems: [original] });
    expect(outcomes(other, facts)).toEqual({
      'afic-partner-sn': 'delivered POLICY.ALLOWED',
      'cp-it': 'delivered POLICY.ALLOWED',
      'jot-mare': 'delivered POLICY.ALLOWED',
    });
  });

  it("recognises the only selector of an original that has just one, such as a referral's URL", () => {
    const referral = (sender: string, platform: string, recipients: string[]) =>
      envelope({
        sender,
        recipients,
        payload: {
          case: 'internetContentReferral',
          value: create(InternetContentReferralSchema, {
            url: 'https://t.me/s/crossings_zuwara',
            platform,
          }),
        },
      });
    const single = {
      ...original,
      type: 'internetContentReferral' as const,
      selectors: selectorsOf(referral('jot-mare', 'Telegram', [])),
    };
    const copy = referral('cp-gr', 'Telegram channel', ['cp-it', 'afic']);
    expect(withheldForConsent(copy, factsFor(copy, { selectorItems: [single] }))).toEqual([
      'afic',
      'cp-it',
      'jot-mare',
    ]);
  });

  it('still refuses a byte-identical re-submission as a whole, holders included', () => {
    const copy = { ...originalEnvelope, id: reworded.id, sender: 'cp-gr', author: 'cp-gr.analyst-1' };
    const same = { ...original, payloadSha256: factsFor(copy).payloadSha256 };
    const decision = decideSubmission(copy, directory, factsFor(copy, { samePayload: same }));
    expect(decision.refusal).toEqual({
      rule: NEEDS_CONSENT,
      reason: `the intelligence is ${original.messageId} of jot-mare; ask for consent with a share request`,
    });
    expect(decision.decisions.map((d) => [d.recipient, d.outcome, d.rule])).toEqual(
      ['afic-partner-sn', 'cp-it', 'jot-mare'].map((n) => [n, 'withheld', NEEDS_CONSENT]),
    );
  });

  it('lets the originator re-submit its own intelligence reworded', () => {
    const own = vesselReport('jot-mare', 'Reworded by its own author: +218912345678.');
    const facts = factsFor(own, { selectorItems: [original] });
    // H0 GREEN to a party the original was refused to: the originator's own call.
    expect(outcomes(own, facts)).toEqual({
      'afic-partner-sn': 'delivered POLICY.ALLOWED',
      'cp-it': 'delivered POLICY.ALLOWED',
    });
  });

  describe("a holder's corroboration never counts against the originator", () => {
    const corroborationEnvelope = {
      ...reworded,
      id: '0193a1b2-0000-7000-8000-0000000000cd',
      handlingCode: HandlingCode.H2,
      tlp: Tlp.AMBER,
    };
    /** cp-gr's corroboration of jot-mare's report as the ledger keeps it once routed to the holders. */
    const kept = (selectors: string[]): ItemRecord => {
      const facts = factsFor(corroborationEnvelope, { selectors, selectorItems: [original] });
      return {
        ...original,
        messageId: corroborationEnvelope.id,
        originator: 'cp-gr',
        recipients: ['cp-it', 'jot-mare'],
        selectors,
        borrowedSelectors: borrowedSelectorsOf(selectors, derivedFrom(corroborationEnvelope, facts)),
      };
    };

    it('keeps which selectors it took from the originator', () => {
      expect(kept(original.selectors!).borrowedSelectors).toEqual({
        'jot-mare': [...original.selectors!].sort(),
      });
    });

    it('lets the originator share its own intelligence reworded after a holder corroborated it', () => {
      const own = vesselReport('jot-mare', 'Reworded by its own author: +218912345678.');
      const facts = factsFor(own, { selectorItems: [kept(original.selectors!)] });
      expect(withheldForConsent(own, facts)).toEqual([]);
    });

    it("still recognises what the corroboration added as the corroborator's", () => {
      const added = [...original.selectors!, 'digest-of-a-second-phone'];
      const own = vesselReport('jot-mare', 'Reworded by its own author, with the second phone.');
      const facts = factsFor(own, {
        selectors: [...selectorsOf(own), 'digest-of-a-second-phone'],
        selectorItems: [kept(added)],
      });
      // afic-partner-sn does not hold cp-gr's item; cp-it holds it but gets no weaker handling.
      expect(withheldForConsent(own, facts)).toEqual(['afic-partner-sn', 'cp-it']);
      const reason = decideRecipients(own, directory, facts).find((d) => d.recipient === 'cp-it')?.reason;
      expect(reason).toBe(
        `it carries 1 of the selectors of ${corroborationEnvelope.id} of cp-gr with weaker handling than the original`,
      );
    });

    it('passes what a corroboration took on to a corroboration of it', () => {
      const second = { ...kept(original.selectors!), messageId: '0193a1b2-0000-7000-8000-0000000000ce' };
      const third = { ...reworded, sender: 'cp-it', author: 'cp-it.analyst-1' };
      const facts = factsFor(third, { selectorItems: [second] });
      expect(borrowedSelectorsOf(facts.selectors ?? selectorsOf(third), derivedFrom(third, facts))).toEqual({
        'cp-gr': [...original.selectors!].sort(),
        'jot-mare': [...original.selectors!].sort(),
      });
    });
  });

  it('lets a party that never received the original publish the same selectors', () => {
    const env = { ...reworded, sender: 'afic', author: 'afic.analyst-1' };
    const facts = factsFor(env, { selectorItems: [original] });
    expect(verdict(env, facts)).toBe('routed');
    expect(withheldForConsent(env, facts)).toEqual([]);
  });

  it('lets intelligence that needed no consent be passed on reworded', () => {
    const open = { ...original, handlingCode: HandlingCode.H1, tlp: Tlp.GREEN };
    const facts = factsFor(reworded, { selectorItems: [open] });
    expect(verdict(reworded, facts)).toBe('routed');
    expect(withheldForConsent(reworded, facts)).toEqual([]);
  });

  it('never applies to a forward with a valid consent', () => {
    const forward = { ...reworded, consentRef: 'decision-1', handlingCode: HandlingCode.H2, tlp: Tlp.AMBER };
    const consent: ConsentRecord = {
      decisionId: 'decision-1',
      messageId: original.messageId,
      originator: 'jot-mare',
      requester: 'cp-gr',
      granted: true,
      grantedRecipients: ['cp-it'],
      validUntilMs: NOW_MS + 60_000,
    };
    const facts = factsFor(forward, {
      item: { ...original, payloadSha256: factsFor(forward).payloadSha256 },
      consent,
      selectorItems: [original],
    });
    expect(verdict({ ...forward, recipients: ['cp-it'] }, facts)).toBe('routed');
  });

  it('states the threshold: at least two shared selectors, or the only one', () => {
    expect(MIN_SHARED_SELECTORS).toBe(2);
    const of = (n: number) => ({ ...original, selectors: ['a', 'b', 'c'].slice(0, n) });
    expect(carriesSelectorsOf(['a'], of(3))).toBe(false);
    expect(carriesSelectorsOf(['a', 'c', 'x'], of(3))).toBe(true);
    expect(carriesSelectorsOf(['a'], of(1))).toBe(true);
    expect(carriesSelectorsOf(['x'], of(1))).toBe(false);
    expect(carriesSelectorsOf(['a', 'b'], of(0))).toBe(false);
  });
});

describe('AMBER+STRICT is never shared onward, and the refusal says so', () => {
  const strict: ItemRecord = { ...original, tlp: Tlp.AMBER_STRICT };

  it('refuses a share request about it', () => {
    const env = envelope({
      sender: 'cp-gr',
      recipients: ['jot-mare'],
      payload: {
        case: 'shareRequest',
        value: create(ShareRequestSchema, {
          messageId: strict.messageId,
          proposedRecipients: ['cp-mt'],
          justification: 'x',
        }),
      },
    });
    expect(verdict(env, factsFor(env, { item: strict }))).toBe(AMBER_STRICT);
    // A party that never received it learns nothing of its TLP.
    const stranger = { ...env, sender: 'afic', author: 'afic.analyst-1' };
    expect(verdict(stranger, factsFor(stranger, { item: strict }))).toBe('POLICY.NOT_A_RECIPIENT');
  });

  it("refuses the originator's grant, not as an unknown request", () => {
    const grant = (granted: boolean) =>
      envelope({
        sender: 'jot-mare',
        recipients: ['cp-gr'],
        payload: {
          case: 'shareDecision',
          value: create(ShareDecisionSchema, {
            requestId: 'req-1',
            messageId: strict.messageId,
            granted,
            grantedRecipients: granted ? ['cp-mt'] : [],
            reason: 'r',
          }),
        },
      });
    expect(verdict(grant(true), factsFor(grant(true), { item: strict }))).toBe(AMBER_STRICT);
    const request = {
      requestId: 'req-1',
      messageId: strict.messageId,
      requester: 'cp-gr',
      proposedRecipients: ['cp-mt'],
    };
    expect(verdict(grant(true), factsFor(grant(true), { item: strict, request }))).toBe(AMBER_STRICT);
    // A refusal shares nothing: it is judged like any other decision.
    expect(verdict(grant(false), factsFor(grant(false), { item: strict, request }))).toBe('routed');
  });

  it('refuses a forward citing a consent, whether or not the consent exists', () => {
    const forward = {
      ...originalEnvelope,
      sender: 'cp-gr',
      author: 'cp-gr.analyst-1',
      consentRef: 'decision-1',
    };
    const same = { ...strict, payloadSha256: factsFor(forward).payloadSha256 };
    // No consent can exist for it: the copy is recognised by its payload.
    expect(verdict(forward, factsFor(forward, { samePayload: same }))).toBe(AMBER_STRICT);
    const consent: ConsentRecord = {
      decisionId: 'decision-1',
      messageId: strict.messageId,
      originator: 'jot-mare',
      requester: 'cp-gr',
      granted: true,
      grantedRecipients: ['cp-it'],
    };
    expect(verdict(forward, factsFor(forward, { item: same, consent, samePayload: same }))).toBe(
      AMBER_STRICT,
    );
  });

  it('refuses a re-submission as new, byte for byte or reworded', () => {
    const copy = { ...originalEnvelope, id: reworded.id, sender: 'cp-gr', author: 'cp-gr.analyst-1' };
    const same = { ...strict, payloadSha256: factsFor(copy).payloadSha256 };
    expect(verdict(copy, factsFor(copy, { samePayload: same }))).toBe(AMBER_STRICT);
    expect(verdict(reworded, factsFor(reworded, { selectorItems: [strict] }))).toBe(AMBER_STRICT);
    // AMBER+STRICT wins over an H2 original the same copy also derives from.
    const h2 = { ...original, messageId: '0193a1b2-0000-7000-8000-0000000000dd' };
    expect(verdict(reworded, factsFor(reworded, { selectorItems: [h2, strict] }))).toBe(AMBER_STRICT);
  });
});

describe('a recalled item is not shared onward', () => {
  const recalled: ItemRecord = { ...original, recalled: true };
  const RECALLED = 'POLICY.ITEM_RECALLED';
  const request = (messageId: string) =>
    envelope({
      sender: 'cp-gr',
      recipients: ['jot-mare'],
      payload: {
        case: 'shareRequest',
        value: create(ShareRequestSchema, { messageId, proposedRecipients: ['cp-mt'], justification: 'x' }),
      },
    });
  const grant = (granted: boolean) =>
    envelope({
      sender: 'jot-mare',
      recipients: ['cp-gr'],
      payload: {
        case: 'shareDecision',
        value: create(ShareDecisionSchema, {
          requestId: 'req-1',
          messageId: recalled.messageId,
          granted,
          grantedRecipients: granted ? ['cp-mt'] : [],
          reason: 'r',
        }),
      },
    });
  const shareRequest = {
    requestId: 'req-1',
    messageId: recalled.messageId,
    requester: 'cp-gr',
    proposedRecipients: ['cp-mt'],
  };

  it('refuses a share request about it, and routes the same request about the item before its recall', () => {
    const env = request(recalled.messageId);
    expect(verdict(env, factsFor(env, { item: recalled }))).toBe(RECALLED);
    expect(decideSubmission(env, directory, factsFor(env, { item: recalled })).refusal?.reason).toBe(
      `item ${recalled.messageId} was recalled by its originator`,
    );
    expect(verdict(env, factsFor(env, { item: original }))).toBe('routed');
  });

  it("refuses the originator's grant, and lets a refusal through", () => {
    expect(verdict(grant(true), factsFor(grant(true), { item: recalled, request: shareRequest }))).toBe(
      RECALLED,
    );
    expect(verdict(grant(false), factsFor(grant(false), { item: recalled, request: shareRequest }))).toBe(
      'routed',
    );
    expect(verdict(grant(true), factsFor(grant(true), { item: original, request: shareRequest }))).toBe(
      'routed',
    );
  });

  it('refuses a forward under a consent given before the recall', () => {
    const forward = {
      ...originalEnvelope,
      sender: 'cp-gr',
      author: 'cp-gr.analyst-1',
      consentRef: 'decision-1',
      handlingCode: HandlingCode.H2,
      tlp: Tlp.AMBER,
    };
    const consent: ConsentRecord = {
      decisionId: 'decision-1',
      messageId: recalled.messageId,
      originator: 'jot-mare',
      requester: 'cp-gr',
      granted: true,
      grantedRecipients: ['cp-it'],
    };
    const same = factsFor(forward).payloadSha256;
    expect(verdict(forward, factsFor(forward, { item: { ...recalled, payloadSha256: same }, consent }))).toBe(
      RECALLED,
    );
    expect(verdict(forward, factsFor(forward, { item: { ...original, payloadSha256: same }, consent }))).toBe(
      'routed',
    );
  });

  it('lets its holders acknowledge it and confirm its erasure', () => {
    for (const payload of [
      {
        case: 'acknowledgement' as const,
        value: create(AcknowledgementSchema, { messageId: recalled.messageId }),
      },
      {
        case: 'erasureReceipt' as const,
        value: create(ErasureReceiptSchema, { messageId: recalled.messageId, recallId: 'recall-1' }),
      },
    ]) {
      const env = envelope({ sender: 'cp-gr', author: 'cp-gr.analyst-1', recipients: ['jot-mare'], payload });
      expect(verdict(env, factsFor(env, { item: recalled }))).toBe('routed');
    }
  });
});
