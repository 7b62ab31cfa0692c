import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuditOperation,
  encodeAuditEvent,
  encodeEnvelope,
  envelopeFromJson,
  nameBasedId,
  newAuditEvent,
  sha256Hex,
  uuidv7,
  type EnvelopeJson,
} from '#contracts';
import { Streams, Subjects, type Bus } from '#messaging';
import type { ServiceSpec } from '#process-kit';
import {
  createTestSchema,
  freePort,
  startSecureBroker,
  waitFor,
  type SecureBroker,
  type ServiceProcess,
  type TestSchema,
  asJson,
  validRecallEnvelope,
  validRouteReportEnvelope,
} from '#testing';
import { auditTrail, exchangeEnv, requireBuild, startLocal, submit } from './support.js';

/**
 * The whole exchange on the generated isolated broker (accounts per party, TLS with client certificates),
 * every service and node with its own credentials: submission, routing, audit, recall, erasure receipts and
 * checkpoint witnesses work — and the three attacks found by trying it as a party holding one node's key
 * fail: reply-subject injection, audit pre-emption, and item id takeover.
 */
const TOKENS = {
  'emlo-ne': 'emlo-ne-isolation-e2e-token-0123456789',
  'cp-gr': 'cp-gr-isolation-e2e-token-0123456789ab',
};
const enc = new TextEncoder();

/** A route report from emlo-ne with a fresh id, addressed as the overrides say. */
const report = (overrides: Partial<EnvelopeJson> = {}): EnvelopeJson =>
  validRouteReportEnvelope({ id: uuidv7(), createdAt: new Date().toISOString(), ...overrides });

describe('the exchange on the isolated broker, tried by a party holding its own credentials', () => {
  let dir: string;
  let nats: SecureBroker;
  let db: TestSchema;
  let admin: Bus;
  let gatewayUrl: string;
  let audit: ReturnType<typeof auditTrail>;
  const services: ServiceProcess[] = [];
  const service = (name: string) => services.find((s) => s.name === name)!;
  const inboxCount = async (node: string) =>
    (await admin.jsm.streams.info(Streams.inbox(node))).state.messages;

  beforeAll(async () => {
    requireBuild();
    dir = mkdtempSync(join(tmpdir(), 'msx-broker-e2e-'));
    nats = await startSecureBroker();
    admin = await nats.connectAs('msx-admin');
    db = await createTestSchema('isolation');
    audit = auditTrail(db);
    const gatewayPort = await freePort();
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const env = {
      ...exchangeEnv({ databaseUrl: db.url, schema: db.schema, gatewayPort, tokens: TOKENS }),
      MSX_AUDIT_CHECKPOINT_INTERVAL_MS: '1000',
    };
    // jot-mare alone keeps its witness folder here, where the test reads it.
    const witness = (spec: ServiceSpec): Record<string, string> =>
      spec.name === 'jot-mare' ? { MSX_WITNESS_DIR: join(dir, 'witness') } : {};
    const names = ['router', 'audit', 'gateway', 'cp-it', 'cp-gr', 'jot-mare', 'emlo-ne'];
    services.push(...startLocal(nats, env, names, witness));
    await Promise.all(services.map((s) => s.waitForLine(/ ready/, 60_000)));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill()));
    await admin?.close();
    await nats?.dispose();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('routes, delivers, audits, recalls and witnesses with every party in its own account', async () => {
    const res = await submit(gatewayUrl, TOKENS['emlo-ne'], asJson(report()));
    expect(res.status).toBe(202);
    const id = res.json.id as string;
    const received = await audit.rowsOf(id, (r) => r.operation === 'received', 2);
    expect(received.map((r) => r.actor_node).sort()).toEqual(['cp-it', 'jot-mare']);
    await service('emlo-ne').waitForLine(new RegExp(`report ${id}: delivered to `));

    const recall = await submit(
      gatewayUrl,
      TOKENS['emlo-ne'],
      asJson(
        validRecallEnvelope({
          id: uuidv7(),
          createdAt: new Date().toISOString(),
          threadId: id,
          inReplyTo: id,
          recall: { messageId: id, reason: 'RECALL_REASON_WITHDRAWN', explanation: 'withdrawn' },
        }),
      ),
    );
    expect(recall.status).toBe(202);
    const erased = await audit.rowsOf(id, (r) => r.operation === 'erased', 2);
    expect(erased.map((r) => r.actor_node).sort()).toEqual(['cp-it', 'jot-mare']);
    await service('emlo-ne').waitForLine(new RegExp(`erasure of ${id} confirmed by cp-it`));

    const kept = await waitFor(
      async () => {
        const files = existsSync(join(dir, 'witness')) ? readdirSync(join(dir, 'witness')) : [];
        const lines = files.flatMap((f) =>
          readFileSync(join(dir, 'witness', f), 'utf8')
            .split('\n')
            .filter(Boolean),
        );
        return lines.length > 0 ? lines : undefined;
      },
      'a checkpoint kept by the witness',
      30_000,
    );
    expect(kept.length).toBeGreaterThan(0);
    for (const s of services) expect(s.lines.filter((l) => /permissions violation/i.test(l))).toEqual([]);
  });

  it("keeps a TLP RED item out of a withheld party's inbox when its recipient aims replies there (attack 1)", async () => {
    const jotMareBefore = await inboxCount('jot-mare');
    const attacker = await nats.connectAs('cp-it');
    let pulls: ReturnType<typeof setInterval> | undefined;
    try {
      // While the RED item for cp-it alone is routed, cp-it pulls its own inbox, asks the JetStream API and
      // submits, each with a reply subject in JOT MARE's inbox and other core subjects.
      const red = report({ tlp: 'TLP_RED', recipients: ['cp-it'] });
      pulls = setInterval(() => {
        for (const reply of [
          Subjects.deliver('jot-mare'),
          Subjects.audit('msx-router'),
          Subjects.checkpointAudit,
        ]) {
          attacker.nc.publish(
            `JS.MSX.API.CONSUMER.MSG.NEXT.${Streams.inbox('cp-it')}.inbox-cp-it`,
            enc.encode(JSON.stringify({ batch: 1, expires: 500_000_000 })),
            { reply },
          );
          attacker.nc.publish(`JS.MSX.API.CONSUMER.INFO.${Streams.inbox('cp-it')}.inbox-cp-it`, undefined, {
            reply,
          });
        }
      }, 20);
      const res = await submit(gatewayUrl, TOKENS['emlo-ne'], asJson(red));
      expect(res.status).toBe(202);
      const id = res.json.id as string;
      const decided = await audit.rowsOf(
        id,
        (r) =>
          r.counterpart_node === 'jot-mare' && (r.operation === 'withheld' || r.operation === 'delivered'),
        1,
      );
      clearInterval(pulls);
      await attacker.nc.flush();
      await new Promise((r) => setTimeout(r, 1_000));
      expect(decided.find((r) => r.counterpart_node === 'jot-mare')).toMatchObject({
        operation: 'withheld',
        rule: 'POLICY.TLP_RED_NAMED_ONLY',
      });
      // Nothing reached JOT MARE's inbox, it recorded nothing, and cp-gr's officers' inbox reads still work.
      expect(await inboxCount('jot-mare')).toBe(jotMareBefore);
      expect((await audit.trail(id)).filter((r) => r.actor_node === 'jot-mare')).toEqual([]);
      const page = await fetch(`${gatewayUrl}/v1/inbox?after=0&limit=100`, {
        headers: { authorization: `Bearer ${TOKENS['cp-gr']}`, 'x-msx-officer': 'cp-gr.officer-1' },
      });
      expect(page.status).toBe(200);
    } finally {
      clearInterval(pulls);
      await attacker.close();
    }
  });

  it("cannot make another publisher's audit events disappear by taking their ids first (attack 2)", async () => {
    const attacker = await nats.connectAs('cp-gr');
    try {
      const id = uuidv7();
      // cp-gr records two harmless events of its own under the ids the router and cp-it will use for item
      // `id`, on the router's former deduplication id too.
      for (const [eventId, msgID] of [
        [nameBasedId(id, 'submitted'), `${id}:audit`],
        [nameBasedId('cp-it', id, 'received'), nameBasedId('cp-it', id, 'received')],
      ]) {
        const decoy = newAuditEvent({
          eventId,
          operation: AuditOperation.CONSULTED,
          actorNode: 'cp-gr',
          actorPerson: 'cp-gr.officer-1',
          messageId: id,
        });
        await attacker.js.publish(Subjects.audit('cp-gr'), encodeAuditEvent(decoy), { msgID });
      }
      const res = await submit(gatewayUrl, TOKENS['emlo-ne'], asJson(report({ id })));
      expect(res.status).toBe(202);
      // Each kind of row is awaited on its own: the router's rows arrive before the nodes' receptions.
      const submitted = await audit.rowsOf(id, (r) => r.operation === 'submitted', 1);
      const received = await audit.rowsOf(id, (r) => r.operation === 'received', 2);
      const delivered = await audit.rowsOf(id, (r) => r.operation === 'delivered', 2);
      expect(submitted.map((r) => r.actor_node)).toEqual(['emlo-ne']);
      expect(received.map((r) => r.actor_node).sort()).toEqual(['cp-it', 'jot-mare']);
      expect(delivered.length).toBeGreaterThanOrEqual(2);
      // The decoys are in the trail too, as what they are: cp-gr's own consultations.
      const decoys = await audit.rowsOf(id, (r) => r.operation === 'consulted', 2);
      expect(decoys.map((r) => r.actor_node)).toEqual(['cp-gr', 'cp-gr']);
    } finally {
      await attacker.close();
    }
  });

  it("refuses a new item that takes another party's item id, and keeps the item its originator's (attack 3)", async () => {
    const original = await submit(gatewayUrl, TOKENS['emlo-ne'], asJson(report({ recipients: ['cp-gr'] })));
    expect(original.status).toBe(202);
    const id = original.json.id as string;
    await audit.rowsOf(id, (r) => r.operation === 'received' && r.actor_node === 'cp-gr', 1);

    // cp-gr, which received it, submits its own item under the same id, past the broker's deduplication.
    const attacker = await nats.connectAs('cp-gr');
    try {
      const takeover = envelopeFromJson(
        asJson({ ...report({ id, recipients: ['cp-it'] }), sender: 'cp-gr', author: 'cp-gr.officer-1' }),
      );
      const takeoverBytes = encodeEnvelope(takeover);
      await attacker.js.publish(Subjects.submit('cp-gr'), takeoverBytes, { msgID: uuidv7() });
      const refused = await audit.rowsOf(
        id,
        (r) => r.rule === 'POLICY.ID_ALREADY_USED' && r.operation === 'rejected',
        1,
      );
      expect(refused.map((r) => r.operation)).toEqual(['rejected']);

      // Its recall of "its" item is refused; the originator's recall reaches every holder.
      const recallBy = (sender: string) =>
        asJson({
          ...validRecallEnvelope({
            id: uuidv7(),
            createdAt: new Date().toISOString(),
            threadId: id,
            inReplyTo: id,
            recall: { messageId: id, reason: 'RECALL_REASON_WITHDRAWN', explanation: 'withdrawn' },
          }),
          sender,
          author: `${sender}.officer-1`,
        });
      const forged = envelopeFromJson(recallBy('cp-gr'));
      await attacker.js.publish(Subjects.submit('cp-gr'), encodeEnvelope(forged), { msgID: forged.id });
      const notOriginator = await audit.rowsOf(forged.id, (r) => r.rule === 'POLICY.NOT_ORIGINATOR', 1);
      expect(notOriginator.length).toBeGreaterThan(0);
      const real = await submit(gatewayUrl, TOKENS['emlo-ne'], recallBy('emlo-ne'));
      expect(real.status).toBe(202);
      // JOT MARE holds a copy too and may confirm first: cp-gr's own erasure is what is awaited.
      const erased = await audit.rowsOf(id, (r) => r.operation === 'erased' && r.actor_node === 'cp-gr', 1);
      expect(erased.map((r) => r.actor_node)).toEqual(['cp-gr']);
      // Nobody received the takeover item: no copy of its bytes was delivered or received.
      const takeoverRows = (await audit.trail(id)).filter(
        (r) => r.message_sha256 === sha256Hex(takeoverBytes),
      );
      const operations = new Set(takeoverRows.map((r) => r.operation));
      expect([...operations].sort()).toEqual(['rejected', 'submitted', 'withheld']);
      expect(
        takeoverRows
          .filter((r) => r.operation === 'withheld')
          .every((r) => r.rule === 'POLICY.ID_ALREADY_USED'),
      ).toBe(true);
    } finally {
      await attacker.close();
    }
  });
});
