import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DecisionOutcome, decodeEnvelope, uuidv7, type EnvelopeJson } from '#contracts';
import { Streams, type Bus } from '#messaging';
import {
  createTestSchema,
  freePort,
  startSecureBroker,
  type ServiceProcess,
  type SecureBroker,
  waitFor,
  type TestSchema,
  asJson,
  validDebriefingReportEnvelope,
  validFinancialLeadEnvelope,
  validRecallEnvelope,
  validRouteReportEnvelope,
  validShareDecisionEnvelope,
  validShareRequestEnvelope,
} from '#testing';
import {
  type AuditRow,
  auditTrail,
  exchangeEnv,
  localService,
  requireBuild,
  startOn,
  submit,
} from './support.js';

/**
 * The sharing rules end to end, on the directory shipped in deploy/: a mixed batch of items, the
 * originator-control flow (share request, decision, forward) and recall and expiry with erasure receipts,
 * through the services as processes. Expected decisions are stated here, independently of the rules' code.
 */
const TOKENS = {
  'emlo-ne': 'emlo-ne-sharing-e2e-token-0123456789ab',
  'cp-it': 'cp-it-sharing-e2e-token-0123456789abcd',
};
/** Nodes that run as processes and so confirm receipt, erase and answer. */
const RUNNING = ['cp-it', 'cp-gr', 'jot-mare', 'emlo-ne', 'afic-partner-ne'];

describe('sharing rules through the real bus', () => {
  let nats: SecureBroker;
  let db: TestSchema;
  let bus: Bus;
  let gatewayUrl: string;
  let audit: ReturnType<typeof auditTrail>;
  let env: Record<string, string>;
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    requireBuild();
    nats = await startSecureBroker();
    db = await createTestSchema('sharing');
    audit = auditTrail(db);
    bus = await nats.connectAs('msx-admin');
    const port = await freePort();
    gatewayUrl = `http://127.0.0.1:${port}`;
    env = exchangeEnv({
      databaseUrl: db.url,
      schema: db.schema,
      gatewayPort: port,
      tokens: TOKENS,
    });
    services.push(startOn(nats, env, 'router'), startOn(nats, env, 'audit'), startOn(nats, env, 'gateway'));
    // A node of deploy/services.yaml runs its app from there; one not listed (a partner) is a liaison officer.
    for (const node of RUNNING)
      services.push(startOn(nats, env, localService(node)?.app ?? 'liaison-officer', node));
    await Promise.all(services.map((s) => s.waitForLine(/ ready/, 60_000)));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill()));
    await bus?.close();
    await nats?.dispose();
    await db?.drop();
  }, 60_000);

  async function send(node: keyof typeof TOKENS, body: EnvelopeJson): Promise<string> {
    const res = await submit(gatewayUrl, TOKENS[node], asJson(body));
    expect(res.status).toBe(202);
    return res.json.id as string;
  }

  /** recipient → `delivered`/`forwarded` or the withholding rule, once every candidate is decided. */
  async function decisionsOf(id: string): Promise<Record<string, string>> {
    const submitted = (await audit.rowsOf(id, (r) => r.operation === 'submitted', 1))[0];
    const count = (submitted.detail as { candidates: number }).candidates;
    const rows = await audit.rowsOf(
      id,
      (r) => ['delivered', 'forwarded', 'withheld'].includes(r.operation),
      count,
    );
    return Object.fromEntries(
      rows.map((r: AuditRow) => [r.counterpart_node!, r.operation === 'withheld' ? r.rule! : r.operation]),
    );
  }

  /** The running nodes that audited receiving the item. */
  async function receivedBy(id: string, expected: string[]): Promise<string[]> {
    const rows = await audit.rowsOf(id, (r) => r.operation === 'received', expected.length);
    return rows.map((r) => r.actor_node).sort();
  }

  const routeReport = (over: Partial<EnvelopeJson> = {}) =>
    validRouteReportEnvelope({ id: uuidv7(), createdAt: new Date().toISOString(), ...over });

  /** emlo-ne recalls its item `id`. */
  const recallOf = (id: string) =>
    send(
      'emlo-ne',
      validRecallEnvelope({
        id: uuidv7(),
        createdAt: new Date().toISOString(),
        threadId: id,
        inReplyTo: id,
        recipients: [],
        recall: { messageId: id, reason: 'RECALL_REASON_INACCURATE', explanation: 'Wrong departure area.' },
      }),
    );

  it('routes a mixed batch, each candidate decided as the rules say, with matching receipts and receptions', async () => {
    const released = await send('emlo-ne', routeReport({ recipients: ['cp-it'] }));
    const red = await send('emlo-ne', routeReport({ tlp: 'TLP_RED', recipients: ['cp-it', 'jot-mare'] }));
    const restricted = await send(
      'emlo-ne',
      routeReport({
        handlingCode: 'HANDLING_CODE_H3',
        handlingRestriction: 'not for asylum decisions',
        recipients: ['cp-it'],
      }),
    );
    const personal = await send(
      'emlo-ne',
      validDebriefingReportEnvelope({
        id: uuidv7(),
        createdAt: new Date().toISOString(),
        handlingCode: 'HANDLING_CODE_H1',
        releasability: { scope: 'RELEASABILITY_SCOPE_THIRD_COUNTRIES', thirdCountries: ['NE'] },
        recipients: ['afic-partner-ne', 'jot-mare'],
      }),
    );
    const notPermitted = await send(
      'emlo-ne',
      validFinancialLeadEnvelope({ id: uuidv7(), createdAt: new Date().toISOString() }),
    );

    expect(await decisionsOf(released)).toMatchObject({
      'cp-it': 'delivered',
      'jot-mare': 'delivered',
      'afic-partner-ne': 'delivered',
      'afic-partner-ng': 'POLICY.THIRD_COUNTRY_NOT_RELEASABLE',
      'afic-partner-ml': 'POLICY.THIRD_COUNTRY_NO_AGREEMENT',
    });
    expect(await decisionsOf(red)).toMatchObject({
      'cp-it': 'delivered',
      'jot-mare': 'delivered',
      'cp-mt': 'POLICY.TLP_RED_NAMED_ONLY',
      'afic-partner-ne': 'POLICY.TLP_RED_NAMED_ONLY',
    });
    expect(await decisionsOf(restricted)).toMatchObject({
      'cp-it': 'delivered',
      'jot-mare': 'delivered',
      afic: 'POLICY.RECIPIENT_NOT_CLEARED',
      'frontex-ra': 'POLICY.RECIPIENT_NOT_CLEARED',
      'afic-partner-ne': 'POLICY.RECIPIENT_NOT_CLEARED',
    });
    expect(await decisionsOf(personal)).toMatchObject({
      'jot-mare': 'delivered',
      'afic-partner-ne': 'POLICY.THIRD_COUNTRY_PERSONAL_DATA',
    });
    const refused = await decisionsOf(notPermitted);
    expect(Object.values(refused).length).toBeGreaterThan(0);
    expect(new Set(Object.values(refused))).toEqual(new Set(['POLICY.TYPE_NOT_PERMITTED']));

    // The running nodes received exactly what was delivered to them, and nothing withheld.
    for (const id of [released, red, restricted, personal, notPermitted]) {
      const decided = await decisionsOf(id);
      const expected = RUNNING.filter((n) => decided[n] === 'delivered').sort();
      expect(await receivedBy(id, expected)).toEqual(expected);
    }
    // The sender's receipt carries the same decisions as the audit trail.
    const receipts = await bus.jsm.streams.getMessage(Streams.inbox('emlo-ne'), {
      last_by_subj: 'msx.deliver.emlo-ne',
    });
    expect(receipts).not.toBeNull();
    const lastReceipt = decodeEnvelope(receipts!.data);
    expect(lastReceipt.payload.case).toBe('deliveryReceipt');
    if (lastReceipt.payload.case === 'deliveryReceipt') {
      const fromReceipt = Object.fromEntries(
        lastReceipt.payload.value.decisions.map((d) => [
          d.recipient,
          d.outcome === DecisionOutcome.DELIVERED ? 'delivered' : d.rule,
        ]),
      );
      expect(fromReceipt).toEqual(await decisionsOf(lastReceipt.payload.value.messageId));
    }
  });

  it('shares an H2 item onward only under the originator consent, and recalls it from everyone who has it', async () => {
    const original = routeReport({
      handlingCode: 'HANDLING_CODE_H2',
      recipients: ['cp-it'],
      releasability: { scope: 'RELEASABILITY_SCOPE_EU_ONLY' },
    });
    const g = await send('emlo-ne', original);
    expect((await decisionsOf(g))['cp-it']).toBe('delivered');
    await receivedBy(g, ['cp-it', 'jot-mare']);

    const copy = (over: Partial<EnvelopeJson>) =>
      ({
        ...original,
        id: uuidv7(),
        sender: 'cp-it',
        author: 'cp-it.analyst-5',
        recipients: ['cp-gr', 'cp-es'],
        ...over,
      }) as EnvelopeJson;
    // Re-submitting emlo-ne's H2 report as new is onward sharing in disguise.
    const disguised = await send('cp-it', copy({}));
    expect(new Set(Object.values(await decisionsOf(disguised)))).toEqual(
      new Set(['POLICY.ONWARD_SHARING_NEEDS_CONSENT']),
    );
    const bogus = await send('cp-it', copy({ consentRef: uuidv7() }));
    expect(new Set(Object.values(await decisionsOf(bogus)))).toEqual(
      new Set(['POLICY.FORWARD_CONSENT_INVALID']),
    );

    const request = await send(
      'cp-it',
      validShareRequestEnvelope({
        id: uuidv7(),
        createdAt: new Date().toISOString(),
        threadId: g,
        inReplyTo: g,
        shareRequest: {
          messageId: g,
          proposedRecipients: ['cp-gr', 'cp-es'],
          justification: 'Same network seen in the Aegean.',
        },
      }),
    );
    expect(await decisionsOf(request)).toEqual({ 'emlo-ne': 'delivered' });
    const decision = await send(
      'emlo-ne',
      validShareDecisionEnvelope({
        id: uuidv7(),
        createdAt: new Date().toISOString(),
        threadId: g,
        inReplyTo: request,
        shareDecision: {
          requestId: request,
          messageId: g,
          granted: true,
          reason: 'Greece is concerned; Spain is not.',
          grantedRecipients: ['cp-gr'],
          validUntil: new Date(Date.now() + 86_400_000).toISOString(),
        },
      }),
    );
    expect(await decisionsOf(decision)).toEqual({ 'cp-it': 'delivered' });

    const forward = await send('cp-it', copy({ consentRef: decision }));
    expect(await decisionsOf(forward)).toEqual({
      'cp-gr': 'forwarded',
      'cp-es': 'POLICY.FORWARD_NOT_CONSENTED',
    });
    expect(await receivedBy(forward, ['cp-gr'])).toEqual(['cp-gr']);

    // Recall: everyone who holds the item, the consented forward included, erases it and confirms.
    const recall = await recallOf(g);
    const recalledFrom = await decisionsOf(recall);
    expect(recalledFrom).toMatchObject({
      'cp-it': 'delivered',
      'jot-mare': 'delivered',
      'cp-gr': 'delivered',
    });
    const erased = await audit.rowsOf(g, (r) => r.operation === 'erased', 3);
    expect(erased.map((r) => r.actor_node).sort()).toEqual(['cp-gr', 'cp-it', 'jot-mare']);
    // Each states what it erased: cp-gr held the consented forward, a copy of the item under another id.
    const what = Object.fromEntries(
      erased.map((r) => [r.actor_node, (r.detail as { erased: string[] }).erased]),
    );
    expect(what).toEqual({ 'cp-gr': [`forwarded-copy:${forward}`], 'cp-it': ['copy'], 'jot-mare': ['copy'] });
    // The originator sees each confirmation: every erasure receipt reached emlo-ne.
    // Each receipt travels on after the erasure row is written: wait for all three, never read once.
    const confirmations = await waitFor(
      async () => {
        const rows = await db.query<{ actor_node: string }>(
          `SELECT DISTINCT r.actor_node FROM "${db.schema}".audit_entry r
            WHERE r.operation = 'submitted' AND r.message_type = 'erasureReceipt'
              AND r.detail->>'concerns' = $1`,
          [g],
        );
        return rows.length >= 3 ? rows : undefined;
      },
      'three erasure receipts of the recalled item',
      30_000,
    );
    expect(confirmations.map((c) => c.actor_node).sort()).toEqual(['cp-gr', 'cp-it', 'jot-mare']);
    // A recipient that was not running (cp-mt) has the copy removed from its inbox stream.
    const mt = await bus.jsm.streams.info(Streams.inbox('cp-mt'));
    const ids: string[] = [];
    for (let seq = mt.state.first_seq; seq <= mt.state.last_seq; seq++) {
      const m = await bus.jsm.streams.getMessage(Streams.inbox('cp-mt'), { seq }).catch(() => null);
      if (m) ids.push(decodeEnvelope(m.data).id);
    }
    expect(ids).not.toContain(g);
    expect(ids).toContain(recall);
  });

  /** The erasure receipts of `messageId` that reached the originator's inbox, as the node wrote them. */
  async function receiptsTo(
    originator: string,
    messageId: string,
  ): Promise<Array<{ sender: string; erased: string[] }>> {
    const stream = Streams.inbox(originator);
    const { state } = await bus.jsm.streams.info(stream);
    const found: Array<{ sender: string; erased: string[] }> = [];
    for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
      const m = await bus.jsm.streams.getMessage(stream, { seq }).catch(() => null);
      const e = m && decodeEnvelope(m.data);
      if (e?.payload.case === 'erasureReceipt' && e.payload.value.messageId === messageId)
        found.push({ sender: e.sender, erased: e.payload.value.erased });
    }
    return found;
  }

  it('erases after a restart what the node holds, says what it erased, and states no erasure of what it lost', async () => {
    const kept = await send('emlo-ne', routeReport({ recipients: ['cp-it'] }));
    const lost = await send('emlo-ne', routeReport({ recipients: ['cp-it'] }));
    await receivedBy(kept, ['afic-partner-ne', 'cp-it', 'jot-mare']);
    await receivedBy(lost, ['afic-partner-ne', 'cp-it', 'jot-mare']);
    // cp-it keeps its copies in its own schema, and is restarted before the recall.
    const holdings = `"${db.schema}_cp_it".holding`;
    const held = await waitFor(async () => {
      const rows = await db.query<{ message_id: string }>(
        `SELECT message_id FROM ${holdings} WHERE message_id = ANY($1::uuid[])`,
        [[kept, lost]],
      );
      return rows.length === 2 ? rows : undefined;
    }, 'cp-it holds both copies');
    expect(held).toHaveLength(2);
    const i = services.findIndex((p) => p.name === 'cp-it');
    await services[i].stop();
    // One copy is lost while it is down, as when its database is restored from before the delivery.
    await db.query(`DELETE FROM ${holdings} WHERE message_id = $1`, [lost]);
    services[i] = startOn(nats, env, localService('cp-it')!.app, 'cp-it');
    await services[i].waitForLine(/ ready/, 60_000);

    await recallOf(kept);
    await recallOf(lost);
    const erased = await audit.rowsOf(kept, (r) => r.operation === 'erased' && r.actor_node === 'cp-it', 1);
    expect((erased[0].detail as { erased: string[] }).erased).toEqual(['copy']);
    expect(await db.query(`SELECT 1 FROM ${holdings} WHERE message_id = $1`, [kept])).toHaveLength(0);
    const receipts = await waitFor(async () => {
      const r = (await receiptsTo('emlo-ne', kept)).filter((x) => x.sender === 'cp-it');
      return r.length > 0 ? r : undefined;
    }, "cp-it's erasure receipt at emlo-ne");
    expect(receipts).toEqual([{ sender: 'cp-it', erased: ['copy'] }]);

    // The lost copy: no erasure stated, the recall audited as not carried out, and no receipt sent.
    const refused = await audit.rowsOf(
      lost,
      (r) => r.actor_node === 'cp-it' && r.rule === 'NODE.NOT_HELD',
      1,
    );
    expect(refused[0].operation).toBe('rejected');
    // The other holders' receipts arrive; cp-it's never does.
    await waitFor(
      async () => ((await receiptsTo('emlo-ne', lost)).length >= 2 ? true : undefined),
      'the other receipts',
    );
    expect(
      (await audit.trail(lost)).filter((r) => r.operation === 'erased' && r.actor_node === 'cp-it'),
    ).toEqual([]);
    expect((await receiptsTo('emlo-ne', lost)).map((r) => r.sender).sort()).toEqual([
      'afic-partner-ne',
      'jot-mare',
    ]);
  });

  it('recalls an item when its retention ends, and every recipient erases it', async () => {
    const expiring = await send(
      'emlo-ne',
      routeReport({ recipients: ['cp-it'], expiresAt: new Date(Date.now() + 3_000).toISOString() }),
    );
    // Released to Niger: the AFIC partner there holds a copy too.
    const holders = await receivedBy(expiring, ['afic-partner-ne', 'cp-it', 'jot-mare']);
    expect(holders).toEqual(['afic-partner-ne', 'cp-it', 'jot-mare']);
    const erased = await audit.rowsOf(expiring, (r) => r.operation === 'erased', holders.length, 40_000);
    expect(erased.map((r) => r.actor_node).sort()).toEqual(holders);
    expect(erased.every((r) => (r.detail as { reason: string }).reason === 'EXPIRED')).toBe(true);
  });

  it('dead-letters an undecodable submission with its reason, and audits it', async () => {
    const garbage = new TextEncoder().encode('not an envelope');
    const ack = await bus.js.publish('msx.submit.cp-it', garbage, { msgID: uuidv7() });
    const row = await waitFor(
      async () =>
        (
          await db.query<{ operation: string; actor_node: string; rule: string }>(
            `SELECT operation, actor_node, rule FROM "${db.schema}".audit_entry
              WHERE operation = 'dead_lettered' AND detail->>'sequence' = $1`,
            [String(ack.seq)],
          )
        )[0],
      'the dead letter in the audit trail',
    );
    expect(row).toEqual({ operation: 'dead_lettered', actor_node: 'cp-it', rule: 'CONTRACT.INVALID' });
    const dlq = await bus.jsm.streams.getMessage(Streams.deadLetter, { last_by_subj: 'msx.dlq.router' });
    expect(new TextDecoder().decode(dlq!.data)).toBe('not an envelope');
    expect(dlq!.header.get('Msx-Dead-Letter-Code')).toBe('CONTRACT.INVALID');
    expect(dlq!.header.get('Msx-Dead-Letter-Reason')).toMatch(/protobufDecode|rule/);
  });
});
