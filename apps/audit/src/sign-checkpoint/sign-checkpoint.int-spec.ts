import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import {
  AuditOperation,
  decodeAuditEvent,
  encodeAuditCheckpoint,
  keyIdOf,
  nameBasedId,
  newAuditCheckpoint,
  newAuditEvent,
  publicKeyDer,
} from '#contracts';
import {
  AuditCheckpointStore,
  AuditRepository,
  openAuditStore,
  readWitnessCheckpoints,
  signCheckpointAt,
  verifyAuditChain,
  type AuditSigningKey,
} from '#audit-store';
import {
  auditStream,
  checkpointStream,
  connectBus,
  deadLetterStream,
  Streams,
  ensureConsumer,
  ensureStream,
  publishDurably,
  Subjects,
  witnessConsumer,
  type Bus,
} from '#messaging';
import { CheckpointWitness } from '#node-app';
import { createTestSchema, startNatsServer, waitFor, type TestNatsServer, type TestSchema } from '#testing';
import { AuditCheckpointer } from './audit-checkpointer.js';

function testKey(): AuditSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const der = publicKeyDer(publicKey);
  return { privateKey, publicKey, publicKeyDer: der, keyId: keyIdOf(der), path: '(test)', generated: true };
}

/** Checkpoints signed by the audit service, published on the bus and kept by two witnesses. */
describe('signed checkpoints and their witnesses', () => {
  let nats: TestNatsServer;
  let db: TestSchema;
  let ds: DataSource;
  let bus: Bus;
  let repo: AuditRepository;
  let store: AuditCheckpointStore;
  let checkpointer: AuditCheckpointer;
  const key = testKey();
  const dirs = { 'jot-mare': '', 'cp-it': '' };
  const witnesses: CheckpointWitness[] = [];
  let next = 0;

  const appendRows = async (n: number, to = checkpointer) => {
    const events = Array.from({ length: n }, () =>
      newAuditEvent({
        eventId: nameBasedId('checkpoint-test', String(++next)),
        operation: AuditOperation.SUBMITTED,
        actorNode: 'emlo-ne',
      }),
    );
    const inserted = await repo.append(events.map((event) => ({ publisher: 'emlo-ne', event })));
    to.recorded(inserted);
  };
  const kept = (node: keyof typeof dirs) => readWitnessCheckpoints(dirs[node], db.schema);

  beforeAll(async () => {
    nats = await startNatsServer();
    db = await createTestSchema('checkpoints');
    ds = await openAuditStore({ url: db.url, schema: db.schema });
    bus = await connectBus({ servers: nats.url, name: 'checkpoint-test' });
    await ensureStream(bus.jsm, checkpointStream());
    await ensureStream(bus.jsm, deadLetterStream());
    await ensureStream(bus.jsm, auditStream());
    repo = new AuditRepository(ds);
    store = new AuditCheckpointStore(ds);
    checkpointer = new AuditCheckpointer(bus, repo, store, {
      key,
      logId: db.schema,
      everyRows: 100,
      everyMs: 300,
    });
    for (const node of Object.keys(dirs) as (keyof typeof dirs)[]) {
      await ensureConsumer(bus.jsm, witnessConsumer(node));
      dirs[node] = mkdtempSync(join(tmpdir(), `msx-witness-${node}-`));
      witnesses.push(new CheckpointWitness(bus, node, { dir: dirs[node] }));
    }
    await Promise.all(witnesses.map((w) => w.onApplicationBootstrap()));
    await checkpointer.onApplicationBootstrap();
  });

  afterAll(async () => {
    await checkpointer.onApplicationShutdown();
    await Promise.all(witnesses.map((w) => w.onApplicationShutdown()));
    await bus.close();
    await nats.dispose();
    await ds.destroy();
    await db.drop();
    for (const d of Object.values(dirs)) rmSync(d, { recursive: true, force: true });
  });

  it('signs a checkpoint after N rows, stores it, and both witnesses keep it', async () => {
    await appendRows(150);
    const latest = await waitFor(
      async () => ((await store.latest())?.treeSize === 150n ? store.latest() : undefined),
      'a checkpoint at size 150',
    );
    expect(latest).toMatchObject({
      logId: db.schema,
      keyId: key.keyId,
      headHash: (await repo.head()).headHash,
    });
    for (const node of ['jot-mare', 'cp-it'] as const) {
      const records = await waitFor(
        async () => (kept(node).some((w) => w.checkpoint.treeSize === '150') ? kept(node) : undefined),
        `${node} keeps size 150`,
      );
      expect(records.find((w) => w.checkpoint.treeSize === '150')).toMatchObject({
        witness: node,
        checkpoint: { headHash: latest?.headHash, keyId: key.keyId },
      });
    }
  });

  it('signs a checkpoint after T seconds when fewer than N rows came', async () => {
    await appendRows(7);
    await waitFor(
      async () => ((await store.latest())?.treeSize === 157n ? true : undefined),
      'size 157',
      5_000,
    );
    await waitFor(
      async () => (kept('cp-it').some((w) => w.checkpoint.treeSize === '157') ? true : undefined),
      'cp-it keeps size 157',
    );
  });

  it('keeps a checkpoint once however often it is delivered, and refuses one signed by another key', async () => {
    const c = (await store.latest())!;
    await checkpointer.checkpoint(); // nothing new: no new checkpoint, no new line
    const forged = signCheckpointAt(testKey(), db.schema, 999n, 'f'.repeat(64));
    await publishDurably(
      bus.js,
      Subjects.checkpointAudit,
      encodeAuditCheckpoint(newAuditCheckpoint(forged, forged.signature, forged.publicKey)),
      { msgID: 'forged-999' },
    );
    // Each witness gives up on it where it is and records that on its own audit subject.
    const given = await waitFor(
      async () =>
        (await bus.jsm.streams.getMessage(Streams.audit, { last_by_subj: Subjects.audit('jot-mare') })) ??
        undefined,
      'the forged checkpoint dead-lettered',
    );
    expect(decodeAuditEvent(given.data)).toMatchObject({
      operation: AuditOperation.DEAD_LETTERED,
      actorNode: 'jot-mare',
      rule: 'AUDIT.CHECKPOINT_UNTRUSTED_KEY',
    });
    const sizes = kept('jot-mare').map((w) => w.checkpoint.treeSize);
    expect(sizes.filter((s) => s === c.treeSize.toString())).toHaveLength(1);
    expect(sizes).not.toContain('999');
    expect(readFileSync(join(dirs['jot-mare'], `${db.schema}.key`), 'utf8').trim()).toBe(
      Buffer.from(key.publicKeyDer).toString('base64'),
    );
  });

  it('lets the verifier check the trail against what the witnesses kept', async () => {
    const report = await verifyAuditChain({ url: db.url, schema: db.schema }, await store.all(), {
      trustedKeys: [key.publicKeyDer],
      witnessCheckpoints: [...kept('jot-mare'), ...kept('cp-it')],
    });
    expect(report).toMatchObject({ ok: true, rowsVerified: 157, witnessCheckpointsRejected: 0 });
    expect(report.witnessCheckpointsChecked).toBeGreaterThanOrEqual(4);
  });

  it('signs a checkpoint of what it recorded when it stops cleanly, so no row is left uncovered', async () => {
    await checkpointer.onApplicationShutdown();
    // Neither N rows nor T seconds will come: only the stop can sign.
    const quiet = new AuditCheckpointer(bus, repo, store, {
      key,
      logId: db.schema,
      everyRows: 1_000_000,
      everyMs: 86_400_000,
    });
    await quiet.onApplicationBootstrap();
    await appendRows(5, quiet);
    const verify = async () =>
      verifyAuditChain({ url: db.url, schema: db.schema }, await store.all(), {
        trustedKeys: [key.publicKeyDer],
      });
    expect((await store.latest())?.treeSize).toBe(157n);
    expect(await verify()).toMatchObject({
      ok: true,
      rowsNotCovered: 5,
      lastCheckpoint: { treeSize: '157' },
    });

    await quiet.onApplicationShutdown();
    expect(await store.latest()).toMatchObject({ treeSize: 162n, headHash: (await repo.head()).headHash });
    expect(await verify()).toMatchObject({
      ok: true,
      rowsNotCovered: 0,
      lastCheckpoint: { treeSize: '162' },
    });
    await waitFor(
      async () => (kept('cp-it').some((w) => w.checkpoint.treeSize === '162') ? true : undefined),
      'cp-it keeps the checkpoint signed at shutdown',
    );
  });
});
