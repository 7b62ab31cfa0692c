import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import {
  AuditOperation,
  HandlingCode,
  keyIdOf,
  nameBasedId,
  newAuditEvent,
  publicKeyDer,
  Tlp,
  type SignedCheckpointRecord,
} from '#contracts';
import { createTestSchema, type TestSchema } from '#testing';
import { GENESIS_HASH } from './audit-chain.js';
import { openAuditStore } from './audit-data-source.js';
import { AuditRepository } from './audit-repository.js';
import { chainRows, chainedRowOf, CHAINED_SELECT } from './chained-row.js';
import { AuditCheckpointStore, signCheckpointAt, type SignedCheckpoint } from './checkpoint-store.js';
import type { AuditSigningKey } from './signing-key.js';
import { verifyAuditChain, type WitnessCheckpoint } from './verify-audit-chain.js';

function testKey(): AuditSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey,
    publicKey,
    publicKeyDer: publicKeyDer(publicKey),
    keyId: keyIdOf(publicKey),
    path: '(test)',
    generated: true,
  };
}

const recordOf = (c: SignedCheckpoint): SignedCheckpointRecord => ({
  logId: c.logId,
  treeSize: c.treeSize.toString(),
  headHash: c.headHash,
  signedAtMs: c.signedAtMs,
  keyId: c.keyId,
  publicKey: Buffer.from(c.publicKey).toString('base64'),
  signature: Buffer.from(c.signature).toString('base64'),
});

/**
 * The verifier against a real PostgreSQL. Each case builds a trail of 300 rows with checkpoints at 100, 200
 * and 300 (also kept by a witness), then tampers with it as an insider would: as superuser, with the
 * append-only triggers disabled.
 */
describe('verifyAuditChain', () => {
  const ROWS = 300;
  let db: TestSchema;
  let ds: DataSource;
  let store: AuditCheckpointStore;
  let key: AuditSigningKey;
  let witness: WitnessCheckpoint[];

  const table = () => `"${db.schema}".audit_entry`;
  const verify = async (withWitness = true) =>
    verifyAuditChain({ url: db.url, schema: db.schema }, await store.all(), {
      trustedKeys: [key.publicKeyDer],
      witnessCheckpoints: withWitness ? witness : [],
      batchSize: 64,
    });

  /** Runs statements with the append-only triggers of the trail and its partitions disabled. */
  async function insider(...sql: string[]): Promise<void> {
    const parts = await db.query<{ t: string }>(
      `SELECT inhrelid::regclass::text AS t FROM pg_inherits WHERE inhparent = $1::regclass`,
      [table()],
    );
    const tables = [table(), ...parts.map((p) => p.t), `"${db.schema}".audit_checkpoint`];
    await db.query(
      ['BEGIN', ...tables.map((t) => `ALTER TABLE ${t} DISABLE TRIGGER USER`), ...sql, 'COMMIT'].join(';\n'),
    );
  }

  beforeEach(async () => {
    db = await createTestSchema('verify');
    ds = await openAuditStore({ url: db.url, schema: db.schema });
    store = new AuditCheckpointStore(ds);
    key = testKey();
    witness = [];
    const repo = new AuditRepository(ds);
    for (let from = 0; from < ROWS; from += 50) {
      const batch = Array.from({ length: 50 }, (_, i) => {
        const n = from + i + 1;
        return newAuditEvent({
          eventId: nameBasedId('verify', String(n)),
          operation: n % 3 === 0 ? AuditOperation.WITHHELD : AuditOperation.DELIVERED,
          actorNode: 'msx-router',
          actorPerson: n % 2 === 0 ? `emlo-ne.officer-${n}` : '',
          counterpartNode: 'cp-it',
          messageId: `m-${Math.floor(n / 5)}`,
          messageType: 'routeReport',
          handlingCode: HandlingCode.H1,
          tlp: Tlp.AMBER,
          messageSha256: 'b'.repeat(64),
          rule: n % 3 === 0 ? 'POLICY.TLP_RED_NAMED_ONLY' : 'POLICY.ALLOWED',
          detailJson: JSON.stringify({ reason: 'subscribed', n }),
          correlationId: `corr-${n}`,
        });
      });
      await repo.append(batch.map((event) => ({ publisher: 'msx-router', event })));
      const head = await repo.head();
      if (head.treeSize % 100n === 0n) {
        const c = signCheckpointAt(key, db.schema, head.treeSize, head.headHash);
        await store.save(c);
        witness.push({ witness: 'jot-mare', checkpoint: recordOf(c) });
      }
    }
  });

  afterEach(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('reports OK for an untouched trail, with what it checked', async () => {
    const report = await verify();
    expect(report).toMatchObject({
      ok: true,
      rowsVerified: ROWS,
      firstSeq: '1',
      lastSeq: String(ROWS),
      checkpointsChecked: 3,
      witnessCheckpointsChecked: 3,
      checkpointsMatched: 6,
    });
    expect(report.problem).toBeUndefined();
  });

  it('finds a flipped byte in any field of a row, and names the row', async () => {
    const flip = (c: string) => `overlay(${c} placing chr(ascii(substr(${c}, 1, 1)) # 1) from 1 for 1)`;
    const changes: Record<string, string> = {
      event_id: `'0193a1b2-0000-5000-8000-0000000000ff'`,
      occurred_at: `occurred_at + interval '1 microsecond'`,
      recorded_at: `recorded_at + interval '1 microsecond'`,
      detail: `jsonb_set(detail, '{reason}', '"subscribeD"')`,
      actor_person: `'emlo-ne.officer-9'`,
      justification: `''`,
      publisher: `'cp-gr'`,
      prev_hash: flip('prev_hash'),
      row_hash: flip('row_hash'),
      ...Object.fromEntries(
        [
          'operation',
          'actor_node',
          'counterpart_node',
          'message_id',
          'message_type',
          'handling_code',
          'tlp',
          'message_sha256',
          'rule',
          'correlation_id',
        ].map((c) => [c, flip(c)]),
      ),
    };
    const [original] = await db.query<Record<string, unknown>>(`SELECT * FROM ${table()} WHERE seq = 150`);
    for (const [column, expr] of Object.entries(changes)) {
      await insider(`UPDATE ${table()} SET ${column} = ${expr} WHERE seq = 150`);
      const report = await verify();
      expect([column, report.ok, report.problem?.seq]).toEqual([column, false, '150']);
      expect(report.problem?.code).toMatch(column === 'prev_hash' ? /BROKEN_LINK/ : /ROW_ALTERED/);
      await insider(`DELETE FROM ${table()} WHERE seq = 150`);
      await db.query(`INSERT INTO ${table()} SELECT * FROM json_populate_record(null::${table()}, $1)`, [
        JSON.stringify(original),
      ]);
      expect([column, (await verify()).ok]).toEqual([column, true]);
    }
  });

  it('finds a deleted row', async () => {
    await insider(`DELETE FROM ${table()} WHERE seq = 150`);
    expect((await verify()).problem).toMatchObject({
      code: 'SEQ_GAP',
      seq: '150',
      reason: 'row 150 is missing (the row after 149 is 151)',
    });
  });

  it('names a repeated row as repeated, whichever of its two copies comes first', async () => {
    // Only an insider going round the one-row-per-seq trigger can store it: a second row 150, chained right.
    const copy = (shift: string) =>
      `INSERT INTO ${table()} SELECT (json_populate_record(e, json_build_object(
         'recorded_at', e.recorded_at + interval '${shift}'))).* FROM ${table()} e WHERE seq = 150 ORDER BY recorded_at LIMIT 1`;
    await insider(copy('1 microsecond'));
    expect((await verify()).problem).toEqual({
      code: 'SEQ_REPEATED',
      seq: '150',
      reason: 'row 150 appears more than once: each seq names exactly one row',
    });
    await insider(copy('-1 microsecond'));
    expect((await verify()).problem).toMatchObject({ code: 'SEQ_REPEATED', seq: '150' });
  });

  it('names a repeated row at a page boundary too', async () => {
    // Pages are 64 rows: row 128 ends the second page.
    await insider(
      `INSERT INTO ${table()} SELECT (json_populate_record(e, json_build_object(
         'recorded_at', e.recorded_at + interval '1 microsecond'))).* FROM ${table()} e WHERE seq = 128`,
    );
    expect((await verify()).problem).toMatchObject({ code: 'SEQ_REPEATED', seq: '128' });
  });

  it('says how many rows no checkpoint covers yet, and when the last checkpoint was signed', async () => {
    const covered = await verify();
    const last = (await store.all()).at(-1)!;
    expect(covered).toMatchObject({
      ok: true,
      rowsNotCovered: 0,
      lastCheckpoint: { treeSize: '300', signedAt: new Date(last.signedAtMs).toISOString() },
    });
    expect(covered.lastCheckpoint!.ageMs).toBeGreaterThanOrEqual(0);
    expect(covered.lastCheckpoint!.ageMs).toBeLessThan(60_000);

    await new AuditRepository(ds).append(
      Array.from({ length: 7 }, (_, i) => ({
        publisher: 'msx-router',
        event: newAuditEvent({
          eventId: nameBasedId('verify', 'after', String(i)),
          operation: AuditOperation.DELIVERED,
          actorNode: 'msx-router',
        }),
      })),
    );
    expect(await verify()).toMatchObject({ ok: true, rowsNotCovered: 7, lastSeq: '307' });
    const unsigned = await verifyAuditChain({ url: db.url, schema: db.schema }, []);
    expect(unsigned).toMatchObject({ ok: true, rowsNotCovered: 307, lastCheckpoint: null });
  });

  it('finds two swapped rows, whether their contents or their positions were swapped', async () => {
    const cols = `event_id, occurred_at, operation, actor_node, actor_person, counterpart_node, message_id,
      message_type, handling_code, tlp, message_sha256, rule, justification, detail, correlation_id, prev_hash, row_hash`;
    await insider(
      `CREATE TEMP TABLE a AS SELECT ${cols} FROM ${table()} WHERE seq = 150`,
      `CREATE TEMP TABLE b AS SELECT ${cols} FROM ${table()} WHERE seq = 151`,
      `UPDATE ${table()} t SET (${cols}) = (SELECT * FROM b) WHERE seq = 150`,
      `UPDATE ${table()} t SET (${cols}) = (SELECT * FROM a) WHERE seq = 151`,
    );
    expect((await verify()).problem).toMatchObject({ code: 'BROKEN_LINK', seq: '150' });

    await insider(
      `UPDATE ${table()} SET seq = -1 WHERE seq = 160`,
      `UPDATE ${table()} SET seq = 160 WHERE seq = 161`,
      `UPDATE ${table()} SET seq = 161 WHERE seq = -1`,
    );
    expect((await verify()).problem).toMatchObject({ code: 'BROKEN_LINK', seq: '150' });
  });

  it('finds rows swapped by position alone', async () => {
    await insider(
      `UPDATE ${table()} SET seq = -1 WHERE seq = 160`,
      `UPDATE ${table()} SET seq = 160 WHERE seq = 161`,
      `UPDATE ${table()} SET seq = 161 WHERE seq = -1`,
    );
    expect((await verify()).problem).toMatchObject({ code: 'BROKEN_LINK', seq: '160' });
  });

  it('finds the trail cut short before the last checkpoint', async () => {
    await insider(`DELETE FROM ${table()} WHERE seq >= 250`);
    const report = await verify();
    expect(report.problem).toMatchObject({ code: 'TRUNCATED', seq: '250' });
    expect(report.problem?.reason).toMatch(/rows 250…300 are missing/);
  });

  it('finds a whole trail rewritten consistently, against the checkpoints the witnesses kept', async () => {
    // The insider rewrites row 42, recomputes every later hash, and re-signs the stored checkpoints with the
    // audit key itself: the trail and its own checkpoints agree again.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const rows = (
      await client.query<(string | null)[]>({
        text: `SELECT ${CHAINED_SELECT} FROM ${table()} ORDER BY seq`,
        rowMode: 'array',
        types: { getTypeParser: () => (v: string) => v },
      })
    ).rows.map((r) => chainedRowOf(r).fields);
    await client.end();
    rows[41] = { ...rows[41], counterpartNode: 'afic-partner-ne' };
    const rechained = chainRows(GENESIS_HASH, rows);
    await insider(
      ...rechained
        .slice(41)
        .map(
          (r) =>
            `UPDATE ${table()} SET counterpart_node = '${r.fields.counterpartNode}', prev_hash = '${r.prevHash}', row_hash = '${r.rowHash}' WHERE seq = ${r.fields.seq}`,
        ),
      `DELETE FROM "${db.schema}".audit_checkpoint`,
    );
    for (const size of [100, 200, 300])
      await store.save(signCheckpointAt(key, db.schema, BigInt(size), rechained[size - 1].rowHash));

    expect((await verify(false)).ok).toBe(true); // undetectable from the database alone
    const report = await verify(true);
    expect(report.ok).toBe(false);
    expect(report.problem).toMatchObject({ code: 'CHECKPOINT_MISMATCH', seq: '100' });
    expect(report.problem?.reason).toMatch(/kept by witness jot-mare/);
  });

  it('accepts a trail that starts at a checkpoint (older rows dropped by retention), but not without one', async () => {
    await insider(`DELETE FROM ${table()} WHERE seq <= 100`);
    expect(await verify()).toMatchObject({ ok: true, firstSeq: '101', rowsVerified: 200 });

    await insider(`DELETE FROM ${table()} WHERE seq <= 101`);
    expect((await verify()).problem).toMatchObject({ code: 'NO_ANCHOR', seq: '102' });
  });

  it('refuses a checkpoint with a bad signature or an untrusted key', async () => {
    await insider(
      `UPDATE "${db.schema}".audit_checkpoint SET head_hash = '${'c'.repeat(64)}' WHERE tree_size = 200`,
    );
    expect((await verify()).problem).toMatchObject({ code: 'BAD_CHECKPOINT', seq: '200' });

    const report = await verifyAuditChain({ url: db.url, schema: db.schema }, [], {
      trustedKeys: [testKey().publicKeyDer],
      witnessCheckpoints: witness,
    });
    expect(report).toMatchObject({ ok: true, witnessCheckpointsRejected: 3, witnessCheckpointsChecked: 0 });
  });
});
