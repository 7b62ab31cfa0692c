import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import type { DataSource } from 'typeorm';
import {
  AuditOperation,
  checkpointRecordOf,
  keyIdOf,
  MsxError,
  nameBasedId,
  newAuditCheckpoint,
  newAuditEvent,
  newAuditStatus,
  publicKeyDer,
} from '#contracts';
import { auditRefusal } from '#runtime';
import {
  startReplicatedPostgres,
  startTcpRelay,
  waitFor,
  type PostgresServer,
  type ReplicatedPostgres,
  type TcpRelay,
} from '#testing';
import { openAuditStore } from './audit-data-source.js';
import { AuditQueries } from './audit-queries.js';
import { AuditRepository, type PublishedAuditEvent } from './audit-repository.js';
import { AuditCheckpointStore, signCheckpointAt } from './checkpoint-store.js';
import type { AuditSigningKey } from './signing-key.js';
import { verifyAuditChain, type WitnessCheckpoint } from './verify-audit-chain.js';

const SCHEMA = 'msx_audit_failover';
/** The audit service's defaults (`auditGateSpec`): the gate's limits. */
const GATE_LIMITS = { backlogLimit: 50_000, heartbeatTimeoutMs: 3_000 };
/** Rows between two checkpoints, as `MSX_AUDIT_CHECKPOINT_ROWS` (scaled down). */
const CHECKPOINT_EVERY_ROWS = 50;

function testKey(): AuditSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const der = publicKeyDer(publicKey);
  return { privateKey, publicKey, publicKeyDer: der, keyId: keyIdOf(der), path: '(test)', generated: true };
}

/** The error code an append or a query failed with. */
async function failureOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return 'no failure';
  } catch (err) {
    return err instanceof MsxError ? err.code : `not an MsxError: ${String(err)}`;
  }
}

/** The event ids stored on `server`, with how often each is stored. */
async function storedIds(server: PostgresServer): Promise<Map<string, number>> {
  const rows = await server.query<{ event_id: string; n: string }>(
    `SELECT event_id::text, count(*)::text AS n FROM "${SCHEMA}".audit_entry GROUP BY event_id`,
  );
  return new Map(rows.map((r) => [r.event_id, Number(r.n)]));
}

/**
 * The audit store on a primary with a synchronous streaming replica (issue 14; `deploy/k8s/postgres`): the
 * primary is killed while the chain writer appends, the replica is promoted and the service address moved to
 * it. Every row the primary acknowledged is on the promoted server, the chain goes on from its last row
 * without a gap or a fork, and the checkpoints signed before and after verify, also against the copies a
 * witness kept. While no primary is writable, appends fail and the audit database's part of the fail-closed
 * signal says refuse. Real PostgreSQL (the Debian binaries), no mocks; the writer reaches the database only
 * through the service address, as the audit service does through `MSX_DATABASE_URL`.
 */
describe('the audit trail when its primary is lost and the synchronous replica is promoted', () => {
  let cluster: ReplicatedPostgres;
  let address: TcpRelay;
  let ds: DataSource;
  let repo: AuditRepository;
  let queries: AuditQueries;
  let checkpoints: AuditCheckpointStore;
  const key = testKey();
  /** Every checkpoint signed and stored, as the witnesses keep them: outside the database. */
  const witnessed: WitnessCheckpoint[] = [];
  /** Event ids of every event whose append resolved: the rows the database acknowledged. */
  const acknowledged = new Set<string>();
  /** The events of appends that failed: the audit service would have them redelivered. */
  const unacknowledged: PublishedAuditEvent[] = [];
  let next = 0;

  const events = (n: number): PublishedAuditEvent[] =>
    Array.from({ length: n }, () => ({
      publisher: 'emlo-ne',
      event: newAuditEvent({
        eventId: nameBasedId('audit-failover', String(++next)),
        operation: AuditOperation.SUBMITTED,
        actorNode: 'emlo-ne',
        messageId: nameBasedId('audit-failover-message', String(next)),
      }),
    }));
  const append = async (batch: PublishedAuditEvent[]) => {
    const inserted = await repo.append(batch);
    for (const e of batch) acknowledged.add(e.event.eventId);
    return inserted;
  };
  /**
   * A checkpoint as the audit service's checkpointer makes one: the committed head, signed with Ed25519,
   * stored, and only then handed to the witnesses.
   */
  const signCheckpoint = async () => {
    const head = await repo.head();
    const c = signCheckpointAt(key, SCHEMA, head.treeSize, head.headHash);
    await checkpoints.save(c);
    witnessed.push({
      witness: 'test-witness',
      checkpoint: checkpointRecordOf(newAuditCheckpoint(c, c.signature, c.publicKey)),
    });
    return c;
  };
  /**
   * What the gate of the router and the gateway decides from the audit database alone. The audit service's
   * heartbeat (apps/audit AuditStatusPublisher, which a library's test may not import) says
   * `databaseReachable` when this very probe answers, and `auditRefusal` is the gate's decision; the backlog is
   * taken as empty, so a refusal here is the database's.
   */
  const gateDecision = async () => {
    const reachable = await queries.lastRecordedAt().then(
      () => true,
      () => false,
    );
    const now = Date.now();
    return auditRefusal(
      {
        status: { value: newAuditStatus({ databaseReachable: reachable, atMs: now }), receivedAtMs: now },
        backlog: { value: 0, readAtMs: now },
      },
      GATE_LIMITS,
      now,
    );
  };

  beforeAll(async () => {
    cluster = await startReplicatedPostgres();
    // The database's service address, which node-postgres follows through a failover only when it is moved.
    address = await startTcpRelay(cluster.primary.port);
    ds = await openAuditStore({
      url: `postgres://postgres@127.0.0.1:${address.port}/postgres`,
      schema: SCHEMA,
    });
    repo = new AuditRepository(ds);
    queries = new AuditQueries(ds);
    checkpoints = new AuditCheckpointStore(ds);
  }, 120_000);

  afterAll(async () => {
    await ds?.destroy().catch(() => undefined);
    await address?.close();
    await cluster?.dispose();
  }, 60_000);

  it('acknowledges a chain commit only once the replica has it: cut off from the replica, the commit waits', async () => {
    await cluster.replicationLink.cut();
    let settled = false;
    const pending = append(events(10)).finally(() => (settled = true));
    const waiting = await waitFor(
      async () => {
        const rows = await cluster.primary.query<{ query: string }>(
          `SELECT query FROM pg_stat_activity WHERE wait_event = 'SyncRep' AND backend_type = 'client backend'`,
        );
        return rows.length > 0 ? rows.map((r) => r.query) : undefined;
      },
      'the chain writer to wait for the replica',
      30_000,
    );
    expect(waiting).toEqual(['COMMIT']);
    expect(settled).toBe(false);

    await cluster.replicationLink.restore();
    await expect(pending).resolves.toBe(10);
  }, 60_000);

  it('records a few hundred rows under signed checkpoints, two batches in hand as the audit service holds them', async () => {
    for (let i = 0; i < 15; i++) {
      await Promise.all([append(events(10)), append(events(10))]);
      if ((i + 1) % 3 === 0) await signCheckpoint();
    }
    const head = await repo.head();
    expect(head.treeSize).toBe(310n);
    expect(witnessed.map((w) => w.checkpoint.treeSize)).toEqual(['70', '130', '190', '250', '310']);
  }, 60_000);

  it('keeps every acknowledged row when the primary is killed under load; meanwhile appends fail and the gate refuses', async () => {
    const before = { rows: acknowledged.size, checkpoints: witnessed.length };
    let sinceCheckpoint = 0;
    /**
     * Appends batches of 5 until one fails (the kill), signing a checkpoint every CHECKPOINT_EVERY_ROWS rows;
     * a checkpoint that fails is left to the next append, which fails too.
     */
    const writer = async () => {
      for (;;) {
        const batch = events(5);
        try {
          await append(batch);
        } catch {
          unacknowledged.push(...batch);
          return;
        }
        sinceCheckpoint += batch.length;
        if (sinceCheckpoint >= CHECKPOINT_EVERY_ROWS) {
          sinceCheckpoint = 0;
          await signCheckpoint().catch(() => undefined);
        }
      }
    };
    const writers = [writer(), writer()];
    await waitFor(
      async () =>
        acknowledged.size >= before.rows + 150 && witnessed.length >= before.checkpoints + 2
          ? true
          : undefined,
      '150 more rows acknowledged and two checkpoints signed over them',
      60_000,
    );
    await cluster.primary.kill();
    await Promise.all(writers);

    // No primary is writable: appends fail as retryable (the audit service holds its events and has them
    // redelivered), and the gate refuses submissions.
    const refused = events(5);
    expect(await failureOf(append(refused))).toBe('AUDIT.STORE_UNAVAILABLE');
    unacknowledged.push(...refused);
    expect(await failureOf(queries.lastRecordedAt())).toBe('AUDIT.STORE_UNAVAILABLE');
    expect(await gateDecision()).toBe('the audit database is unreachable');

    // Each commit the primary acknowledged waited for the replica: the replica's copy has every one of them.
    await waitFor(
      async () => {
        const [r] = await cluster.replica.query<{ caught_up: boolean }>(
          'SELECT pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn() AS caught_up',
        );
        return r.caught_up ? true : undefined;
      },
      'the replica to replay what it received',
      30_000,
    );
    const onReplica = await storedIds(cluster.replica);
    expect([...acknowledged].filter((id) => !onReplica.has(id))).toEqual([]);
    process.stdout.write(
      `audit failover: ${acknowledged.size} rows acknowledged before the kill, all on the replica; ` +
        `${unacknowledged.length - refused.length} in appends the kill cut, ` +
        `${unacknowledged.filter((e) => onReplica.has(e.event.eventId)).length} of them committed on the replica all the same\n`,
    );
  }, 120_000);

  let lastBeforePromotion: { seq: string; row_hash: string };

  it('continues on the promoted replica once the service address is moved to it, recording each event once', async () => {
    // The address moved to the replica before it is promoted: a standby answers reads but takes no writes.
    // The gate still refuses, and an append is held (retried without limit), not rejected and dead-lettered.
    address.moveTo(cluster.replica.port);
    expect(await gateDecision()).toBe('the audit database is unreachable');
    const onStandby = events(3);
    expect(await failureOf(append(onStandby))).toBe('AUDIT.STORE_UNAVAILABLE');
    unacknowledged.push(...onStandby);
    address.moveTo(cluster.primary.port);

    await cluster.replica.promote();
    // Promoted, but not yet where the writer connects: still nothing writable there, still refused.
    expect(await gateDecision()).toBe('the audit database is unreachable');

    const onPromoted = await storedIds(cluster.replica);
    expect([...acknowledged].filter((id) => !onPromoted.has(id))).toEqual([]);
    [lastBeforePromotion] = await cluster.replica.query<{ seq: string; row_hash: string }>(
      // By the column: `seq` alone would name the text in the select list, ordered as text.
      `SELECT seq::text, row_hash FROM "${SCHEMA}".audit_entry ORDER BY audit_entry.seq DESC LIMIT 1`,
    );

    address.moveTo(cluster.replica.port);
    expect(await gateDecision()).toBeUndefined();
    // The failed appends again, as their redelivery would bring them: what the replica had is not added twice.
    const again = await append(unacknowledged);
    expect(again).toBe(unacknowledged.filter((e) => !onPromoted.has(e.event.eventId)).length);
    for (let i = 0; i < 5; i++) await Promise.all([append(events(10)), append(events(10))]);
    await signCheckpoint();

    const stored = await storedIds(cluster.replica);
    expect([...stored.values()].filter((n) => n !== 1)).toEqual([]);
    expect(new Set(stored.keys())).toEqual(acknowledged);
  }, 120_000);

  it('has no gap and no fork, and every checkpoint signed before and after the promotion verifies', async () => {
    const [seqs] = await cluster.replica.query<{ first: string; last: string; rows: string }>(
      `SELECT min(seq)::text AS first, max(seq)::text AS last, count(*)::text AS rows FROM "${SCHEMA}".audit_entry`,
    );
    expect(seqs.first).toBe('1');
    expect(seqs.rows).toBe(seqs.last);

    // The first row written after the promotion is chained onto the last row from before it.
    const [firstAfter] = await cluster.replica.query<{ seq: string; prev_hash: string }>(
      `SELECT seq::text, prev_hash FROM "${SCHEMA}".audit_entry WHERE seq = $1`,
      [(BigInt(lastBeforePromotion.seq) + 1n).toString()],
    );
    expect(firstAfter?.prev_hash).toBe(lastBeforePromotion.row_hash);

    // The checkpoints stored before the kill are on the promoted server too.
    const stored = await checkpoints.all();
    const storedSizes = new Set(stored.map((c) => c.treeSize.toString()));
    expect(witnessed.map((w) => w.checkpoint.treeSize).filter((s) => !storedSizes.has(s))).toEqual([]);
    const signedBefore = witnessed.filter(
      (w) => BigInt(w.checkpoint.treeSize) <= BigInt(lastBeforePromotion.seq),
    );
    // Five over the first rows, at least two over the rows written as the primary was killed, one after.
    expect(signedBefore.length).toBeGreaterThanOrEqual(7);
    expect(witnessed.length).toBe(signedBefore.length + 1);

    // The witnesses' copies are what would show a fork: a promoted server that missed acknowledged rows gives
    // their seqs to other rows, which the checkpoints signed before the kill do not match.
    const report = await verifyAuditChain({ url: cluster.replica.url, schema: SCHEMA }, stored, {
      trustedKeys: [key.publicKeyDer],
      witnessCheckpoints: witnessed,
    });
    expect(report.problem).toBeUndefined();
    expect(report).toMatchObject({
      ok: true,
      rowsVerified: Number(seqs.rows),
      firstSeq: '1',
      lastSeq: seqs.last,
      checkpointsChecked: stored.length,
      witnessCheckpointsChecked: witnessed.length,
      witnessCheckpointsRejected: 0,
      // Each stored checkpoint and each witness's copy matched the row at its size.
      checkpointsMatched: stored.length + witnessed.length,
      rowsNotCovered: 0,
    });
  }, 60_000);
});
