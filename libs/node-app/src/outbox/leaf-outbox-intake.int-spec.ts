import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import 'reflect-metadata';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiscardPolicy } from '@nats-io/jetstream';
import { decodeEnvelope, encodeEnvelope, envelopeFromJson, publicKeyDer, uuidv7 } from '#contracts';
import {
  connectBus,
  ensurePostOutbox,
  Headers,
  openPostOutbox,
  postOutboxCounts,
  postDomain,
  provisionBus,
  putInPostOutbox,
  Streams,
  Subjects,
  waitingInPostOutbox,
  type Bus,
  type PostOutboxBus,
} from '#messaging';
import { freePort, startNatsServer, type OwnedServer } from '#process-kit';
import {
  createTestSchema,
  startTcpRelay,
  submittedBy,
  validRouteReportEnvelope,
  waitFor,
  type TcpRelay,
  type TestSchema,
} from '#testing';
import type { InboxHandler, NodeOperation } from '../inbox-worker.js';
import { NodeAppModule } from '../node-app.module.js';

const POST = 'emlo-ne';

@Injectable()
class HandlesNothing implements InboxHandler {
  handle(): Promise<NodeOperation[]> {
    return Promise.resolve([]);
  }
}

/** An officer's report of the post, encoded as the leaf stores it. */
function report(n: number, sender = POST) {
  const json = validRouteReportEnvelope({
    id: uuidv7(),
    createdAt: new Date().toISOString(),
    sender,
    author: `${sender}.officer-1`,
    recipients: [sender === 'cp-it' ? 'cp-mt' : 'cp-it'],
  });
  json.routeReport!.narrative = `Report ${n} of the post in Niamey.`;
  return { id: json.id, bytes: encodeEnvelope(envelopeFromJson(json)) };
}

/**
 * The post's node app takes its outbox from the leaf's JetStream into its record, and on to the exchange: in
 * the order the leaf stored it, once, holding the head while its record cannot be written, and setting aside
 * what no one could ever send. One nats-server stands for both here: its JetStream carries the post's domain,
 * as the post's leaf does, and the exchange's streams, as the hub's does (the leaf tests prove the two apart).
 */
describe("a post's node app taking its outbox from its leaf node", () => {
  let dir: string;
  let server: OwnedServer;
  let bus: Bus;
  let outbox: PostOutboxBus;
  let db: TestSchema;
  let relay: TcpRelay;
  let app: INestApplicationContext | undefined;

  /** The post's record of its outbox: ids in the order written. */
  const record = () =>
    db
      .query<{ message_id: string }>(`SELECT message_id FROM "${db.schema}".outbox ORDER BY seq`)
      .then((rows) => rows.map((r) => r.message_id));
  const sent = async () => (await submittedBy(bus, POST)).map((e) => e.id);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'msx-leaf-intake-'));
    const port = await freePort();
    const storeDir = join(dir, 'jetstream');
    const configFile = join(dir, 'nats.conf');
    writeFileSync(
      configFile,
      `host: "127.0.0.1"\nport: ${port}\njetstream {\n  domain: "${postDomain(POST)}"\n  store_dir: "${storeDir}"\n}\n`,
    );
    server = await startNatsServer({ port, storeDir, configFile, scheme: 'nats' });
    bus = await connectBus({ servers: server.url, name: 'leaf-intake-test' });
    await provisionBus(bus.jsm, [POST, 'cp-it']);
    outbox = await openPostOutbox(bus.nc, POST);
    await ensurePostOutbox(outbox.jsm, POST);
    db = await createTestSchema('leafintake');
    const pg = new URL(db.url);
    relay = await startTcpRelay(Number(pg.port || 5432));
    pg.port = String(relay.port);
    const { publicKey } = generateKeyPairSync('ed25519');
    app = await NestFactory.createApplicationContext(
      NodeAppModule.forNode({
        nodeId: POST,
        natsUrl: server.url,
        routerPublicKey: publicKeyDer(publicKey),
        handler: HandlesNothing,
        witness: null,
        holdings: { url: pg.toString(), schema: db.schema },
        outbox: { ackTimeoutMs: 2_000, pollMs: 100, maxBackoffMs: 500 },
        leafOutbox: { pollMs: 1_000, maxBackoffMs: 500 },
      }),
      { logger: ['error'] },
    );
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await bus?.close();
    await relay?.close();
    await server?.stop();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('takes every report into its record and sends them in the order stored, once', async () => {
    const reports = [report(1), report(2), report(3)];
    for (const r of reports) await putInPostOutbox(outbox, POST, r.id, r.bytes);
    // Stored twice on the leaf by a retried publish outside the window: the record takes it once.
    const ids = reports.map((r) => r.id);
    await waitFor(async () => ((await sent()).length >= 3 ? true : undefined), 'the reports sent', 20_000);
    await putInPostOutbox(outbox, POST, `${ids[0]}-again`, reports[0].bytes);
    await waitFor(
      async () => ((await waitingInPostOutbox(outbox.jsm, POST)) === 0 ? true : undefined),
      'the leaf emptied',
      10_000,
    );
    expect(await sent()).toEqual(ids);
    expect(await record()).toEqual(ids);
  });

  it('sets aside what is not an envelope of the post, and sends what follows it', async () => {
    const before = await sent();
    const good = report(4);
    await putInPostOutbox(
      outbox,
      POST,
      'not-an-envelope',
      new TextEncoder().encode('{"not": "protobuf"}\u0000'),
    );
    const foreign = report(5, 'cp-it');
    await putInPostOutbox(outbox, POST, foreign.id, foreign.bytes);
    await putInPostOutbox(outbox, POST, good.id, good.bytes);
    await waitFor(
      async () => ((await sent()).length > before.length ? true : undefined),
      'the report after the bad ones',
      20_000,
    );
    expect(await sent()).toEqual([...before, good.id]);
    expect(await record()).not.toContain(foreign.id);
    // Kept on the leaf, with why, not lost: the post's operator can read them there.
    await waitFor(
      async () => ((await postOutboxCounts(outbox.jsm, POST)).setAside === 2 ? true : undefined),
      'both set aside',
      10_000,
    );
    expect(await postOutboxCounts(outbox.jsm, POST)).toEqual({ waiting: 0, setAside: 2 });
    const kept = await outbox.jsm.streams.getMessage(Streams.postOutbox, {
      last_by_subj: Subjects.postSetAside(POST),
    });
    expect(kept?.header.get(Headers.deadLetterReason)).toBe('its sender is cp-it, not emlo-ne');
    expect(decodeEnvelope(kept!.data).id).toBe(foreign.id);
  });

  it('holds the head on the leaf while its record cannot be written, and keeps the order when it can', async () => {
    const before = await sent();
    await relay.cut();
    const reports = [report(6), report(7)];
    for (const r of reports) await putInPostOutbox(outbox, POST, r.id, r.bytes);
    await new Promise((r) => setTimeout(r, 2_000));
    // Nothing left the leaf: the head waits unacknowledged, the next behind it.
    expect(await waitingInPostOutbox(outbox.jsm, POST)).toBe(2);
    expect(await sent()).toEqual(before);
    await relay.restore();
    await waitFor(
      async () => ((await sent()).length >= before.length + 2 ? true : undefined),
      'the held reports sent',
      30_000,
    );
    expect(await sent()).toEqual([...before, ...reports.map((r) => r.id)]);
    expect(await waitingInPostOutbox(outbox.jsm, POST)).toBe(0);
  });

  it('refuses an outbox made otherwise, naming each setting, rather than trust reports to it', async () => {
    await app?.close();
    app = undefined;
    await outbox.jsm.streams.delete(Streams.postOutbox);
    // Made by hand with limits that would drop reports: the oldest go when a tenth arrives.
    await outbox.jsm.streams.add({
      name: Streams.postOutbox,
      subjects: [Subjects.postOutbox(POST)],
      max_msgs: 10,
      discard: DiscardPolicy.Old,
    });
    const refusal = ensurePostOutbox(outbox.jsm, POST);
    await expect(refusal).rejects.toThrow(/is not as MSX makes it, and is not used/);
    await expect(refusal).rejects.toThrow(/retention: "limits", expected "workqueue"/);
    await expect(refusal).rejects.toThrow(/discard: "old", expected "new"/);
    await expect(refusal).rejects.toThrow(/max_msgs: 10, expected -1/);
  });
});
