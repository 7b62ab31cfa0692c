import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { AuditOperation, keyIdOf, nameBasedId, newAuditEvent, publicKeyDer } from '#contracts';
import {
  AuditCheckpointStore,
  AuditRepository,
  openAuditStore,
  readWitnessCheckpoints,
  signCheckpointAt,
  type AuditSigningKey,
} from '#audit-store';
import {
  auditStream,
  checkpointStream,
  connectBus,
  deadLetterStream,
  Durables,
  ensureConsumer,
  ensureStream,
  Streams,
  Subjects,
  witnessConsumer,
  type Bus,
} from '#messaging';
import { CheckpointWitness } from '#node-app';
import {
  createTestSchema,
  publishedAuditEvents,
  startNatsServer,
  waitFor,
  type TestNatsServer,
  type TestSchema,
} from '#testing';
import { AuditCheckpointer } from '../sign-checkpoint/audit-checkpointer.js';
import { ChainRows } from './chain-rows.js';
import { ChainVerifier, type ChainVerifierOptions } from './chain-verifier.js';
import { WitnessConfirmations } from './witness-confirmations.js';

function testKey(): AuditSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const der = publicKeyDer(publicKey);
  return { privateKey, publicKey, publicKeyDer: der, keyId: keyIdOf(der), path: '(test)', generated: true };
}

/**
 * The chain's incremental verifier on real PostgreSQL and NATS: a bounded stretch per check, the stored
 * checkpoints' signatures and heads, rows altered after they were verified, and the witnesses that confirmed
 * the last checkpoint (jot-mare keeps the checkpoints, cp-it refuses them, afic never takes them).
 */
describe('the chain verifier', () => {
  let nats: TestNatsServer;
  let db: TestSchema;
  let ds: DataSource;
  let bus: Bus;
  let repo: AuditRepository;
  let store: AuditCheckpointStore;
  let checkpointer: AuditCheckpointer;
  const key = testKey();
  const dirs: Record<string, string> = {};
  const witnesses: CheckpointWitness[] = [];
  let next = 0;

  const appendRows = async (n: number) => {
    const events = Array.from({ length: n }, () =>
      newAuditEvent({
        eventId: nameBasedId('chain-verifier-test', String(++next)),
        operation: AuditOperation.SUBMITTED,
        actorNode: 'emlo-ne',
      }),
    );
    await repo.append(events.map((event) => ({ publisher: 'emlo-ne', event })));
  };
  const verifier = (opts: Partial<ChainVerifierOptions> = {}) => {
    const rows = new ChainRows(ds);
    return new ChainVerifier(repo, store, rows, new WitnessConfirmations(bus, rows), {
      db: { url: db.url, schema: db.schema },
      trustedKeyIds: new Set([key.keyId]),
      rowsPerCheck: 4,
      recheckRowsPerCheck: 3,
      everyMs: 60_000,
      requestWaitMs: 10_000,
      ...opts,
    });
  };

  beforeAll(async () => {
    nats = await startNatsServer();
    db = await createTestSchema('chain_verifier');
    ds = await openAuditStore({ url: db.url, schema: db.schema });
    bus = await connectBus({ servers: nats.url, name: 'chain-verifier-test' });
    for (const s of [checkpointStream(), deadLetterStream(), auditStream()]) await ensureStream(bus.jsm, s);
    repo = new AuditRepository(ds);
    store = new AuditCheckpointStore(ds);
    // Not bootstrapped: checkpoints are signed when a case says so.
    checkpointer = new AuditCheckpointer(bus, repo, store, {
      key,
      logId: db.schema,
      everyRows: 1_000_000,
      everyMs: 86_400_000,
    });
    for (const node of ['jot-mare', 'cp-it', 'afic']) await ensureConsumer(bus.jsm, witnessConsumer(node));
    for (const node of ['jot-mare', 'cp-it']) {
      dirs[node] = mkdtempSync(join(tmpdir(), `msx-chain-witness-${node}-`));
      // cp-it expects another key, so it refuses every checkpoint of this trail.
      const publicKey = node === 'cp-it' ? testKey().publicKeyDer : undefined;
      witnesses.push(
        new CheckpointWitness(bus, node, { dir: dirs[node], ...(publicKey ? { publicKey } : {}) }),
      );
    }
    await Promise.all(witnesses.map((w) => w.onApplicationBootstrap()));
  });

  afterAll(async () => {
    await Promise.all(witnesses.map((w) => w.onApplicationShutdown()));
    await bus?.close();
    await nats?.dispose();
    await ds?.destroy();
    await db?.drop();
    for (const d of Object.values(dirs)) rmSync(d, { recursive: true, force: true });
  });

  it('is unverified until its first check, then verifies at most rowsPerCheck new rows per check', async () => {
    await appendRows(10);
    const v = verifier();
    expect(v.snapshot()).toEqual({
      status: 'unverified',
      checkedAt: null,
      verifiedThrough: null,
      rows: 0,
      firstBreak: null,
      lastCheckpoint: null,
    });
    const seen: [string, string | undefined, number][] = [];
    for (let i = 0; i < 4; i++) {
      const s = await v.status();
      seen.push([s.status, s.verifiedThrough?.seq, s.rows]);
    }
    expect(seen).toEqual([
      ['intact', '4', 4],
      ['intact', '8', 8],
      ['intact', '10', 10],
      ['intact', '10', 10],
    ]);
    expect((await v.status()).verifiedThrough?.recordedAt).toMatch(/^\d{4}-\d{2}-\d{2}T[\d:]{8}\.\d{6}Z$/);
  });

  it('names the witnesses that kept the last checkpoint, not one that refused it or never took it', async () => {
    const c = (await checkpointer.checkpoint())!;
    expect(c.treeSize).toBe(10n);
    await waitFor(
      async () => (readWitnessCheckpoints(dirs['jot-mare'], db.schema).length === 1 ? true : undefined),
      'jot-mare keeps the checkpoint',
    );
    const message = (await bus.jsm.streams.getMessage(Streams.checkpoints, {
      last_by_subj: Subjects.checkpointAudit,
    }))!;
    // cp-it's consumer moved past the checkpoint too (it terminated it): only its refusal in the trail tells.
    await waitFor(async () => {
      const info = await bus.jsm.consumers.info(Streams.checkpoints, Durables.witness('cp-it'));
      return info.ack_floor.stream_seq >= message.seq ? true : undefined;
    }, 'cp-it past the checkpoint');
    const refusal = await waitFor(async () => {
      const events = await publishedAuditEvents(bus, 'cp-it');
      return events.find((e) => e.operation === AuditOperation.DEAD_LETTERED);
    }, 'cp-it refusing the checkpoint');
    // What the audit service does with it: record it in the trail.
    await repo.append([{ publisher: 'cp-it', event: refusal }]);

    const s = await verifier().status();
    expect(s.lastCheckpoint).toEqual({
      seq: '10',
      rowHash: c.headHash,
      signedAt: new Date(c.signedAtMs).toISOString(),
      witnesses: [{ node: 'jot-mare', confirmedAt: expect.any(String) }],
    });
    expect(Math.abs(Date.parse(s.lastCheckpoint!.witnesses[0].confirmedAt) - c.signedAtMs)).toBeLessThan(
      10_000,
    );
  });

  it('refuses a checkpoint signed with a key it does not trust', async () => {
    const s = await verifier({ trustedKeyIds: new Set([testKey().keyId]) }).status();
    expect(s.status).toBe('broken');
    expect(s.firstBreak).toEqual({
      seq: '10',
      reason: expect.stringMatching(
        /^the stored checkpoint at size 10 is signed with key .*, which is not trusted$/,
      ),
    });
  });

  it('finds a checkpoint that signed another head, then an earlier row altered after it was verified', async () => {
    await appendRows(4);
    const v = verifier({ rowsPerCheck: 100 });
    expect((await v.status()).status).toBe('intact');
    // A checkpoint over rows already verified is checked when the re-check round reaches its size.
    await store.save(signCheckpointAt(key, db.schema, 12n, 'e'.repeat(64)));
    const mismatch = await waitFor(async () => {
      const s = await v.status();
      return s.status === 'broken' ? s : undefined;
    }, 'the mismatch found');
    expect(mismatch.firstBreak).toEqual({
      seq: '12',
      reason: expect.stringMatching(/^row 12 has head hash .* but the stored checkpoint signed .* says eeee/),
    });
    await insider(`UPDATE "${db.schema}".audit_entry SET actor_node = 'cp-mt' WHERE seq = 2`);
    // The re-check reads 3 rows a check from the trail's start: row 2 is in the first stretch of the round.
    const altered = await waitFor(async () => {
      const s = await v.status();
      return s.firstBreak?.seq === '2' ? s : undefined;
    }, 'the altered row found');
    expect(altered.firstBreak?.reason).toMatch(/^row 2 does not match its row_hash/);
  });

  /** Runs a statement as an insider would: as superuser, with the append-only triggers disabled. */
  async function insider(sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const table = `"${db.schema}".audit_entry`;
      const parts = await client.query<{ t: string }>(
        `SELECT inhrelid::regclass::text AS t FROM pg_inherits WHERE inhparent = $1::regclass`,
        [table],
      );
      const tables = [table, ...parts.rows.map((p) => p.t)];
      await client.query(
        [
          'BEGIN',
          ...tables.map((t) => `ALTER TABLE ${t} DISABLE TRIGGER USER`),
          sql,
          ...tables.map((t) => `ALTER TABLE ${t} ENABLE TRIGGER USER`),
          'COMMIT',
        ].join(';\n'),
      );
    } finally {
      await client.end();
    }
  }
});
