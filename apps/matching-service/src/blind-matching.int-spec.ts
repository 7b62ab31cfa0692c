import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { createHash, createHmac } from 'node:crypto';
import {
  AuditOperation,
  encodeEnvelope,
  envelopeFromJson,
  SelectorKind,
  uuidv7,
  type Envelope,
} from '#contracts';
import {
  blindIndexUpdateFor,
  blindQueryFor,
  blindToken,
  matchingKeyFrom,
  queryTokensOf,
  type InboxHandler,
  type NodeOperation,
} from '#node-app';
import { asJson, testDirectory, validFinancialLeadEnvelope, waitFor } from '#testing';
import { startNodeAppForTest, startNodeAppHarness, type NodeAppHarness } from '#testing/node-app';
import { MatchingHandler, matchingSetup } from './matching-service.setup.js';

/** A node kind that only keeps what it receives: the blind index is the part under test. */
@Injectable()
class KeepsOnly implements InboxHandler {
  handle(): Promise<NodeOperation[]> {
    return Promise.resolve([]);
  }
}

const MATCHER = 'hit-no-hit';
const KEY = matchingKeyFrom('5c'.repeat(32), 'test');
const IBAN = 'IT60X0542811101000000123456';
/** Tokens a party may ask about in 24 hours here. */
const QUOTA = 4;
/** Tokens a holder may have in the index here. */
const HOLDER_LIMIT = 10;
/** The key the contact point holds; the last test rotates it. */
let holderKey = KEY;

/**
 * Blind hit/no-hit on real NATS and PostgreSQL: a contact point tells the matching service the tokens of the
 * selectors it holds and takes them back when its items are erased; the matching service, which has no key,
 * answers queries with hit or no hit and the holder, tells the holder who asked, audits every query and hit,
 * refuses over the quota and under an unknown key, and holds nothing from which a selector can be guessed.
 * The test plays the router between the two: it hands each one's submissions to the other.
 */
describe('blind hit/no-hit', () => {
  let holder: NodeAppHarness;
  let matcher: NodeAppHarness;
  const directory = testDirectory();

  beforeAll(async () => {
    [holder, matcher] = await Promise.all([
      startNodeAppHarness({
        nodeId: 'cp-it',
        schema: 'blindholder',
        boot: (bed) =>
          startNodeAppForTest({
            ...bed,
            nodeId: 'cp-it',
            handler: KeepsOnly,
            blindIndex: { key: holderKey, matcher: MATCHER },
          }),
      }),
      startNodeAppHarness({
        nodeId: MATCHER,
        schema: 'blindmatcher',
        boot: (bed) =>
          startNodeAppForTest({
            ...bed,
            nodeId: MATCHER,
            handler: MatchingHandler,
            ...matchingSetup({ dailyQuota: QUOTA, holderLimit: HOLDER_LIMIT, directory }),
          }),
      }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await holder?.dispose();
    await matcher?.dispose();
  });

  /** cp-gr's financial lead naming an IBAN (by default IBAN), to cp-it. */
  const lead = (
    marking: Partial<{ handlingCode: string; tlp: string; purposes: string[] }> = {},
    iban = IBAN,
  ): Envelope => {
    const json = validFinancialLeadEnvelope({
      id: uuidv7(),
      createdAt: new Date().toISOString(),
      sender: 'cp-gr',
      author: 'cp-gr.fiu-1',
      recipients: ['cp-it'],
      handlingCode: 'HANDLING_CODE_H1',
      tlp: 'TLP_GREEN',
      ...marking,
    });
    json.financialLead!.accounts = [{ iban, role: 'collects the crossing fees' }];
    json.financialLead!.narrative = 'Payments collected for crossings from Zuwara.';
    return envelopeFromJson(asJson(json));
  };
  const query = (
    sender: string,
    tokens = queryTokensOf(KEY, [{ kind: 'iban', value: 'it60 x054 2811 1010 0000 0123 456' }]),
  ) =>
    blindQueryFor({
      id: uuidv7(),
      sender,
      author: `${sender}.fiu-2`,
      matcher: MATCHER,
      keyId: KEY.id,
      tokens,
      purpose: 'Financial investigation into the Zuwara crossings network',
      nowMs: Date.now(),
    });

  /** Waits for `h`'s submissions to number `count`, and returns the ones after `before`. */
  async function submittedAfter(h: NodeAppHarness, before: number, count: number): Promise<Envelope[]> {
    for (let i = 0; i < 100; i++) {
      const all = await h.submitted();
      if (all.length >= before + count) return all.slice(before);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`expected ${count} more submissions`);
  }

  const ibanToken = { kind: SelectorKind.IBAN, token: blindToken(KEY, SelectorKind.IBAN, IBAN) };
  const firstLead = lead();

  it('tells the matching service a token of each selector it holds, never the value, and audits it', async () => {
    await holder.deliverAndWait(firstLead);
    const [update] = await submittedAfter(holder, 0, 1);
    expect(update.recipients).toEqual([MATCHER]);
    expect(update.namedRecipientsOnly).toBe(true);
    expect(update.payload.case).toBe('blindIndexUpdate');
    expect(update.payload.value).toMatchObject({ keyId: KEY.id, added: [ibanToken], removed: [] });
    expect(Buffer.from(encodeEnvelope(update)).toString('latin1')).not.toContain(IBAN.slice(4));
    const [combined] = await holder.events(AuditOperation.COMBINED, firstLead.id);
    expect(JSON.parse(combined.detailJson)).toMatchObject({
      keyId: KEY.id,
      selectorKinds: ['iban'],
      told: 1,
    });
    expect(combined.counterpartNode).toBe(MATCHER);
    await matcher.deliverAndWait(update);
    const [indexed] = await matcher.events(AuditOperation.COMBINED, update.id);
    expect(JSON.parse(indexed.detailJson)).toEqual({ keyId: KEY.id, added: 1, removed: 0 });
  });

  it('indexes nothing its originator controls, and nothing twice', async () => {
    await holder.deliverAndWait(lead({ handlingCode: 'HANDLING_CODE_H2' }));
    await holder.deliverAndWait(lead({ tlp: 'TLP_AMBER' }));
    // A second item with the same IBAN: the matching service knows already.
    await holder.deliverAndWait(lead());
    await holder.deliverAndWait(firstLead);
    expect(await holder.submitted()).toHaveLength(1);
  });

  it('keeps out of the index an item that serves neither criminal nor financial investigation', async () => {
    const forAnalysis = lead({ purposes: ['PURPOSE_RISK_ANALYSIS'] }, 'DE89370400440532013000');
    await holder.deliverAndWait(forAnalysis);
    const [withheld] = await holder.eventsOnce(AuditOperation.WITHHELD, forAnalysis.id);
    expect(withheld).toMatchObject({ rule: 'NODE.PURPOSE_NOT_COVERED', counterpartNode: MATCHER });
    expect(JSON.parse(withheld.detailJson)).toMatchObject({
      use: 'blind-index',
      serves: ['criminal-investigation', 'financial-investigation'],
      purposes: ['risk-analysis'],
    });
    // No token of its IBAN left the node.
    expect(await holder.submitted()).toHaveLength(1);
  });

  let asked: Envelope;

  it('answers a query with the holder, tells the holder who asked and why, and audits both', async () => {
    asked = query('cp-gr', [
      ...queryTokensOf(KEY, [{ kind: 'iban', value: 'it60 x054 2811 1010 0000 0123 456' }]),
      ...queryTokensOf(KEY, [{ kind: 'phone', value: '+218 91 000 0000' }]),
    ]);
    await matcher.deliverAndWait(asked);
    const [notice, answer] = await submittedAfter(matcher, 0, 2);
    expect(notice.recipients).toEqual(['cp-it']);
    expect(notice.payload).toMatchObject({
      case: 'blindQueryNotice',
      value: {
        queryId: asked.id,
        askedBy: 'cp-gr',
        purpose: 'Financial investigation into the Zuwara crossings network',
        tokens: [ibanToken],
      },
    });
    expect(answer.recipients).toEqual(['cp-gr']);
    expect(answer.inReplyTo).toBe(asked.id);
    expect(answer.payload.case).toBe('blindAnswer');
    if (answer.payload.case !== 'blindAnswer') return;
    expect(answer.payload.value.refusedRule).toBe('');
    expect(answer.payload.value.verdicts.map((v) => [v.token?.kind, v.hit, v.holders])).toEqual([
      [SelectorKind.IBAN, true, ['cp-it']],
      [SelectorKind.PHONE_NUMBER, false, []],
    ]);
    const [consulted] = await matcher.events(AuditOperation.CONSULTED, asked.id);
    expect(consulted.counterpartNode).toBe('cp-gr');
    expect(JSON.parse(consulted.detailJson)).toMatchObject({ tokens: 2, hits: 1, answer: answer.id });
    const [hit] = await matcher.events(AuditOperation.COMBINED, asked.id);
    expect(hit.counterpartNode).toBe('cp-it');
    expect(JSON.parse(hit.detailJson)).toMatchObject({
      askedBy: 'cp-gr',
      selectorKinds: ['iban'],
      notice: notice.id,
    });

    // The holder's trail names the items the question was about.
    await holder.deliverAndWait(notice);
    const [told] = await holder.events(AuditOperation.COMBINED, notice.id);
    expect(told.counterpartNode).toBe('cp-gr');
    expect((JSON.parse(told.detailJson) as { items: string[] }).items).toContain(firstLead.id);
  });

  it('answers a query once, whatever redeliveries and restarts', async () => {
    // Past the submit stream's deduplication window: only the record of answered queries stops a second answer.
    await matcher.outlastDeduplication();
    await matcher.restart();
    await matcher.deliver(asked);
    // The inbox is read in order: once a later query is received, the redelivered one was handled.
    await matcher.deliverAndWait(query('jot-mare'));
    await submittedAfter(matcher, 2, 2);
    const replies = (await matcher.submitted()).filter((e) => e.inReplyTo === asked.id);
    expect(replies.map((e) => e.payload.case)).toEqual(['blindQueryNotice', 'blindAnswer']);
  });

  it('never names the querier as a holder of its own selectors', async () => {
    const own = query('cp-it');
    const before = (await matcher.submitted()).length;
    await matcher.deliverAndWait(own);
    const [answer] = await submittedAfter(matcher, before, 1);
    expect(answer.payload.case === 'blindAnswer' && answer.payload.value.verdicts[0].hit).toBe(false);
  });

  it('refuses a query made with another key, and one over the quota, and says why', async () => {
    const other = matchingKeyFrom('5d'.repeat(32), 'other');
    const foreign = blindQueryFor({
      ...{ id: uuidv7(), sender: 'cp-gr', author: 'cp-gr.fiu-2', matcher: MATCHER, purpose: 'Check.' },
      keyId: other.id,
      tokens: queryTokensOf(other, [{ kind: 'iban', value: IBAN }]),
      nowMs: Date.now(),
    });
    let before = (await matcher.submitted()).length;
    await matcher.deliverAndWait(foreign);
    const [refused] = await submittedAfter(matcher, before, 1);
    expect(refused.payload.value).toMatchObject({ refusedRule: 'MATCH.KEY_UNKNOWN', verdicts: [] });
    const [withheld] = await matcher.events(AuditOperation.WITHHELD, foreign.id);
    expect(withheld.rule).toBe('MATCH.KEY_UNKNOWN');

    // cp-gr asked about 2 selectors and was answered; a refused query does not count. Two more of one fill
    // its quota of 4 selectors a day.
    for (let i = 0; i < 2; i++) await matcher.deliverAndWait(query('cp-gr'));
    const over = query('cp-gr');
    before = (await matcher.submitted()).length;
    await matcher.deliverAndWait(over);
    const [answer] = await submittedAfter(matcher, before, 1);
    expect(answer.recipients).toEqual(['cp-gr']);
    expect(answer.payload.value).toMatchObject({
      refusedRule: 'MATCH.QUOTA_EXCEEDED',
      refusedReason:
        'cp-gr asked about 4 selector(s) in the last 24 hours and asks about 1 more; the quota is 4',
    });
    // No holder learns of a refused query.
    expect((await matcher.submitted()).slice(before)).toHaveLength(1);
  });

  it('refuses an index change that would take a holder past its limit, whole', async () => {
    const planted = Array.from({ length: HOLDER_LIMIT + 1 }, (_, i) => ({
      kind: SelectorKind.PHONE_NUMBER,
      token: blindToken(KEY, SelectorKind.PHONE_NUMBER, `+2189100000${String(i).padStart(2, '0')}`),
    }));
    const update = blindIndexUpdateFor({
      node: 'cp-gr',
      matcher: MATCHER,
      keyId: KEY.id,
      added: planted,
      nowMs: Date.now(),
    });
    await matcher.deliverAndWait(update);
    const [withheld] = await matcher.events(AuditOperation.WITHHELD, update.id);
    expect(withheld.rule).toBe('MATCH.HOLDER_LIMIT');
    const rows = await matcher.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${matcher.db.schema}".blind_index WHERE holder = 'cp-gr'`,
    );
    expect(rows[0].n).toBe(0);
  });

  it('neither answers nor indexes a third country', async () => {
    const partner = query('afic-partner-sn');
    const before = (await matcher.submitted()).length;
    await matcher.deliverAndWait(partner);
    const [withheld] = await matcher.events(AuditOperation.WITHHELD, partner.id);
    expect(withheld.rule).toBe('MATCH.EU_PARTIES_ONLY');
    expect(await matcher.submitted()).toHaveLength(before);
  });

  it('holds nothing a dictionary attack can use without the key', async () => {
    const rows = await matcher.db.query<{ token: string }>(
      `SELECT token FROM "${matcher.db.schema}".blind_index`,
    );
    expect(rows.map((r) => r.token)).toContain(ibanToken.token);
    // Every IBAN of the candidate list, the true one among them, hashed every way one could without the key.
    const candidates = [
      IBAN,
      'IT60X0542811101000000123457',
      'MT84MALT011000012345MTLCAST001S',
      'DE89370400440532013000',
    ];
    const guesses = candidates.flatMap((v) => [
      ...['', 'IBAN\n', 'iban:', 'IBAN:'].flatMap((prefix) => [
        createHash('sha256')
          .update(prefix + v)
          .digest('base64url'),
        createHash('sha256')
          .update(prefix + v)
          .digest('hex'),
        createHmac('sha256', '')
          .update(prefix + v)
          .digest('base64url'),
        createHmac('sha256', KEY.id)
          .update(prefix + v)
          .digest('base64url'),
      ]),
    ]);
    const stored = new Set(rows.map((r) => r.token));
    expect(guesses.filter((g) => stored.has(g))).toEqual([]);
    // With the key, the same list finds it at once: the key, not the hash, is what protects the selector.
    expect(candidates.filter((v) => stored.has(blindToken(KEY, SelectorKind.IBAN, v)))).toEqual([IBAN]);
    // And nothing the matching service keeps or received names the IBAN in any spelling.
    const dump = await matcher.db.query<{ t: string }>(
      `SELECT string_agg(t::text, ' ') AS t FROM (
         SELECT row_to_json(b) AS t FROM "${matcher.db.schema}".blind_index b
         UNION ALL SELECT row_to_json(q) FROM "${matcher.db.schema}".blind_query q) x`,
    );
    expect(dump[0].t).not.toMatch(/0542811101|IT60/i);
  });

  it('takes a token back when the last item that carries it is erased', async () => {
    const updates = async () =>
      (await holder.submitted()).filter((e) => e.payload.case === 'blindIndexUpdate');
    const recalled = (await updates()).length;
    // Three items carry the IBAN (the first, and two it did not index twice); H2/AMBER were never indexed.
    const held = [firstLead];
    expect(await holder.recall(firstLead)).toContain('blind-index:iban');
    expect(await updates()).toHaveLength(recalled);
    const others = await holder.db.query<{ item_id: string }>(
      `SELECT DISTINCT item_id FROM "${holder.db.schema}".blind_token`,
    );
    expect(others).toHaveLength(1);
    held.push(others.map((r) => ({ id: r.item_id, sender: 'cp-gr' }) as Envelope)[0]);
    expect(await holder.recall(held[1])).toContain('blind-index:iban');
    const [removal] = await waitFor(
      async () => ((await updates()).length > recalled ? (await updates()).slice(recalled) : undefined),
      'the removal',
    );
    expect(removal.payload.value).toMatchObject({ keyId: KEY.id, added: [], removed: [ibanToken] });
    await matcher.deliverAndWait(removal);
    const after = query('jot-mare');
    const before = (await matcher.submitted()).length;
    await matcher.deliverAndWait(after);
    const [answer] = await submittedAfter(matcher, before, 1);
    expect(answer.payload.case === 'blindAnswer' && answer.payload.value.verdicts[0].hit).toBe(false);
  });

  it('after a rotation of the key, indexes what it holds again under the new key and takes the old tokens back', async () => {
    const IBAN2 = 'DE89370400440532013000';
    const held = lead({}, IBAN2);
    const updates = async () =>
      (await holder.submitted()).filter((e) => e.payload.case === 'blindIndexUpdate');
    const before = (await updates()).length;
    await holder.deliverAndWait(held);
    const [indexed] = await waitFor(
      async () => ((await updates()).length > before ? (await updates()).slice(before) : undefined),
      'the index update',
    );
    await matcher.deliverAndWait(indexed);

    const NEW = matchingKeyFrom('6e'.repeat(32), 'rotated');
    holderKey = NEW;
    await holder.restart();
    // The move waits in the holder's outbox, which sends it in order: the additions, then the removals.
    const moved = (
      await waitFor(
        async () => ((await updates()).length >= before + 3 ? updates() : undefined),
        'the move to the new key',
      )
    ).slice(before + 1);
    expect(moved.map((u) => u.payload.value)).toMatchObject([
      {
        keyId: NEW.id,
        added: [{ kind: SelectorKind.IBAN, token: blindToken(NEW, SelectorKind.IBAN, IBAN2) }],
      },
      {
        keyId: KEY.id,
        removed: [{ kind: SelectorKind.IBAN, token: blindToken(KEY, SelectorKind.IBAN, IBAN2) }],
      },
    ]);
    for (const u of moved) await matcher.deliverAndWait(u);
    // A second start finds nothing left to move.
    await holder.restart();
    expect(await updates()).toHaveLength(before + 3);

    const ask = (key: typeof KEY) =>
      blindQueryFor({
        id: uuidv7(),
        sender: 'emlo-ne',
        author: 'emlo-ne.officer-1',
        matcher: MATCHER,
        keyId: key.id,
        tokens: queryTokensOf(key, [{ kind: 'iban', value: IBAN2 }]),
        purpose: 'Check.',
        nowMs: Date.now(),
      });
    const answers = (await matcher.submitted()).length;
    await matcher.deliverAndWait(ask(NEW));
    await matcher.deliverAndWait(ask(KEY));
    const replies = (await submittedAfter(matcher, answers, 3)).filter(
      (e) => e.payload.case === 'blindAnswer',
    );
    expect(replies.map((r) => r.payload.value)).toMatchObject([
      {
        refusedRule: '',
        verdicts: [{ hit: true, holders: ['cp-it'] }],
      },
      { refusedRule: 'MATCH.KEY_UNKNOWN' },
    ]);
  });
});
