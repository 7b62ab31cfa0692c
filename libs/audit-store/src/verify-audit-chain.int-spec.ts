import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { createTemplateDatabase, type TemplateDatabase, type TestDatabase } from '#testing';
import { GENESIS_HASH } from './audit-chain.js';
import { createAuditDataSource, openAuditStore } from './audit-data-source.js';
import { AuditRepository } from './audit-repository.js';
import { chainRows, chainedRowOf, CHAINED_SELECT } from './chained-row.js';
import { AuditCheckpointStore, signCheckpointAt, type SignedCheckpoint } from './checkpoint-store.js';
import type { AuditSigningKey } from './signing-key.js';
import { readWitnessCheckpoints, verifyAuditChain, type WitnessCheckpoint } from './verify-audit-chain.js';

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
 * The verifier against a real PostgreSQL. A trail of 300 rows with checkpoints at 100, 200 and 300 (also kept
 * by a witness) is built once, in a database of its own; each case gets an exact copy of that database and
 * tampers with it as an insider would: as superuser, with the append-only triggers disabled.
 */
/**
 * Every case runs with one reader, and with three readers side by side in worker threads: stretches of
 * 100 rows (1…100, 101…200, 201…), so that problems at and across their boundaries are found the same way.
 */
describe.each([1, 3])('verifyAuditChain with %i reader(s)', (readers) => {
  const ROWS = 300;
  /** The database holding the trail as built, which each case copies; nobody stays connected to it. */
  let template: TemplateDatabase | undefined;
  /** The key that signed the checkpoints of the template, and what the witness kept of them. */
  let built: { key: AuditSigningKey; witness: WitnessCheckpoint[] };
  let db: TestDatabase;
  let ds: DataSource;
  let store: AuditCheckpointStore;
  let key: AuditSigningKey;
  let witness: WitnessCheckpoint[];

  const table = () => `"${db.schema}".audit_entry`;
  const verify = async (withWitness = true) =>
    verifyAuditChain({ url: db.url, schema: db.schema }, await store.all(), {
      trustedKeys: [key.publicKeyDer],
      witnessCheckpoints: withWitness ? witness : [],
      // Ranges of 64 rows: every case also crosses range boundaries.
      rowsPerCopy: 64,
      progressEvery: 64,
      readers,
    });

  /** Runs statements with the append-only triggers of the trail and its partitions disabled. */
  async function insider(...sql: string[]): Promise<void> {
    // One connection for both queries: a new one costs more than the queries.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const parts = await client.query<{ t: string }>(
        `SELECT inhrelid::regclass::text AS t FROM pg_inherits WHERE inhparent = $1::regclass`,
        [table()],
      );
      const tables = [table(), ...parts.rows.map((p) => p.t), `"${db.schema}".audit_checkpoint`];
      const disable = tables.map((t) => `ALTER TABLE ${t} DISABLE TRIGGER USER`);
      await client.query(['BEGIN', ...disable, ...sql, 'COMMIT'].join(';\n'));
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    template = await createTemplateDatabase('verify');
    const key = testKey();
    const witness: WitnessCheckpoint[] = [];
    const source = await openAuditStore({ url: template.url, schema: template.schema });
    try {
      const store = new AuditCheckpointStore(source);
      const repo = new AuditRepository(source);
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
            justification: n % 7 === 0 ? 'requested by the originator for case 2026-17' : '',
            detailJson: JSON.stringify({ reason: 'subscribed', n }),
            correlationId: `corr-${n}`,
          });
        });
        await repo.append(batch.map((event) => ({ publisher: 'msx-router', event })));
        const head = await repo.head();
        if (head.treeSize % 100n === 0n) {
          const c = signCheckpointAt(key, template.schema, head.treeSize, head.headHash);
          await store.save(c);
          witness.push({ witness: 'jot-mare', checkpoint: recordOf(c) });
        }
      }
    } finally {
      // A database is copied only while nobody is connected to it.
      await source.destroy();
    }
    built = { key, witness };
  });

  /** The trail as an insider would recompute it after changing row 42: every hash from there on. */
  async function rechainedWithRow42Changed() {
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
    return chainRows(GENESIS_HASH, rows);
  }

  beforeEach(async () => {
    db = await template!.clone();
    // The copy is migrated already: openAuditStore would only check it, on connections of its own.
    ds = createAuditDataSource({ url: db.url, schema: db.schema });
    await ds.initialize();
    store = new AuditCheckpointStore(ds);
    key = built.key;
    witness = built.witness.map((w) => ({ ...w, checkpoint: { ...w.checkpoint } }));
  });

  afterEach(async () => {
    // After a failed beforeEach these are the previous case's, already closed and dropped.
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
  });

  afterAll(async () => {
    await template?.drop();
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
      rowsNotCovered: 0,
    });
    expect(report.problem).toBeUndefined();
    expect(report.elapsedMs).toBeGreaterThanOrEqual(0);
    expect(report.elapsedMs).toBeLessThan(60_000);
  });

  it('verifies rows whose text holds quotes, backslashes, tabs, newlines, control characters and any script', async () => {
    // What a party may put in a justification or a detail reaches the trail as it was sent; the verifier
    // reads it through COPY's escapes and must hash exactly what the writer hashed.
    const awkward = [
      'tab\there, newline\nthere, cr\r, "quoted", back\\slash, \\N, \\t literally',
      'control \u0001\u0008\u000b\u000c\u001f and delete \u007f',
      'مهرب — 偷渡 — контрабанда — 🚤 — ĳ',
      '\\',
    ];
    const repo = new AuditRepository(ds);
    await repo.append(
      awkward.map((text, i) => ({
        publisher: 'cp-it',
        event: newAuditEvent({
          eventId: nameBasedId('verify-awkward', String(i)),
          operation: AuditOperation.SUBMITTED,
          actorNode: 'cp-it',
          actorPerson: text,
          messageId: `m-awkward-${i}`,
          messageType: 'routeReport',
          handlingCode: HandlingCode.H1,
          tlp: Tlp.AMBER,
          justification: text,
          detailJson: JSON.stringify({ [text]: [text, { note: text }], n: i }),
          correlationId: text,
        }),
      })),
    );
    expect(await verify()).toMatchObject({ ok: true, rowsVerified: ROWS + awkward.length });
    // And a change of one character among them is still found.
    await insider(
      `UPDATE ${table()} SET justification = replace(justification, 'quoted', 'quotes') WHERE seq = ${ROWS + 1}`,
    );
    expect((await verify()).problem).toMatchObject({ code: 'ROW_ALTERED', seq: String(ROWS + 1) });
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
      expect(report.problem?.reason).toBe(
        column === 'prev_hash'
          ? 'row 150 does not link to row 149 (prev_hash differs): rows were removed, inserted or reordered'
          : 'row 150 does not match its row_hash: a field of it was altered',
      );
      await insider(`DELETE FROM ${table()} WHERE seq = 150`);
      await db.query(`INSERT INTO ${table()} SELECT * FROM json_populate_record(null::${table()}, $1)`, [
        JSON.stringify(original),
      ]);
      expect([column, (await verify()).ok]).toEqual([column, true]);
    }
  });

  it('finds a deleted row, and says how far the trail verified', async () => {
    await insider(`DELETE FROM ${table()} WHERE seq = 150`);
    const report = await verify();
    expect(report).toMatchObject({ ok: false, firstSeq: '1', lastSeq: '149', rowsVerified: 149 });
    expect(report.problem).toMatchObject({
      code: 'SEQ_GAP',
      seq: '150',
      reason: 'row 150 is missing (the row after 149 is 151)',
    });
  });

  it('finds the deletion of exactly the last checkpointed row', async () => {
    await insider(`DELETE FROM ${table()} WHERE seq = 300`);
    expect((await verify()).problem).toEqual({
      code: 'TRUNCATED',
      seq: '300',
      reason: 'the trail ends at row 299 but a signed checkpoint covers 300 rows: rows 300…300 are missing',
    });
  });

  it('finds a trail emptied by an insider against its checkpoints, and accepts an empty trail without any', async () => {
    await insider(`DELETE FROM ${table()}`);
    expect(await verify()).toMatchObject({
      ok: false,
      problem: { code: 'TRUNCATED', seq: '1' },
      rowsVerified: 0,
      firstSeq: null,
      lastSeq: null,
    });
    const progress: [number, number][] = [];
    const empty = await verifyAuditChain({ url: db.url, schema: db.schema }, [], {
      onProgress: (verified, total) => progress.push([verified, total]),
    });
    expect(empty).toMatchObject({
      ok: true,
      rowsVerified: 0,
      firstSeq: null,
      lastSeq: null,
      rowsNotCovered: 0,
      lastCheckpoint: null,
    });
    expect(progress).toEqual([[0, 0]]);
  });

  it('finds the trail cut short whatever the order in which the witnesses kept their checkpoints', async () => {
    // The insider also deletes the stored checkpoints: only the witnesses still know how long the trail was.
    await insider(`DELETE FROM ${table()} WHERE seq >= 250`, `DELETE FROM "${db.schema}".audit_checkpoint`);
    const report = await verifyAuditChain({ url: db.url, schema: db.schema }, await store.all(), {
      trustedKeys: [key.publicKeyDer],
      witnessCheckpoints: [...witness].reverse(),
    });
    expect(report.problem).toMatchObject({ code: 'TRUNCATED', seq: '250' });
  });

  it('reports its progress every so many rows and at the end, against the number of rows present', async () => {
    const progress: [number, number][] = [];
    await verifyAuditChain({ url: db.url, schema: db.schema }, [], {
      progressEvery: 64,
      readers,
      onProgress: (verified, total) => progress.push([verified, total]),
    });
    if (readers === 1)
      expect(progress).toEqual([
        [64, 300],
        [128, 300],
        [192, 300],
        [256, 300],
        [300, 300],
      ]);
    else {
      // Readers side by side: the sum of what they verified, growing, once per 64 rows at most, to the end.
      const verified = progress.map(([v]) => v);
      expect(verified).toEqual([...verified].sort((a, b) => a - b));
      expect(new Set(verified).size).toBe(verified.length);
      expect(verified.length).toBeLessThanOrEqual(Math.ceil(300 / 64) + 1);
      expect(progress.at(-1)).toEqual([300, 300]);
      expect(progress.every(([, total]) => total === 300)).toBe(true);
    }
    await insider(`DELETE FROM ${table()} WHERE seq <= 100`);
    const after: [number, number][] = [];
    await verifyAuditChain({ url: db.url, schema: db.schema }, await store.all(), {
      onProgress: (verified, total) => after.push([verified, total]),
    });
    expect(after).toEqual([[200, 200]]);
  });

  it('finds a first row that does not start from the genesis hash', async () => {
    await insider(`UPDATE ${table()} SET prev_hash = '${'1'.repeat(64)}' WHERE seq = 1`);
    expect(await verify()).toMatchObject({
      ok: false,
      firstSeq: '1',
      lastSeq: null,
      rowsVerified: 0,
      problem: { code: 'BROKEN_LINK', seq: '1', reason: 'row 1 does not start from the genesis hash' },
    });
  });

  it('finds a first row renumbered to 0: nothing vouches for the row before it', async () => {
    await insider(`UPDATE ${table()} SET seq = 0 WHERE seq = 1`);
    expect((await verify()).problem).toMatchObject({ code: 'NO_ANCHOR', seq: '0' });
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

  it('names a repeated row at a range boundary too', async () => {
    // Ranges of 64 rows: row 128 ends the second, its copy opens the third.
    await insider(
      `INSERT INTO ${table()} SELECT (json_populate_record(e, json_build_object(
         'recorded_at', e.recorded_at + interval '1 microsecond'))).* FROM ${table()} e WHERE seq = 128`,
    );
    expect((await verify()).problem).toMatchObject({ code: 'SEQ_REPEATED', seq: '128' });
  });

  it('finds a row missing at the start of a stretch', async () => {
    await insider(`DELETE FROM ${table()} WHERE seq = 101`);
    expect(await verify()).toMatchObject({
      ok: false,
      rowsVerified: 100,
      lastSeq: '100',
      problem: { code: 'SEQ_GAP', seq: '101', reason: 'row 101 is missing (the row after 100 is 102)' },
    });
  });

  it('finds the first row of a stretch not linked to the last row of the stretch before', async () => {
    await insider(`UPDATE ${table()} SET prev_hash = '${'1'.repeat(64)}' WHERE seq = 201`);
    expect(await verify()).toMatchObject({ rowsVerified: 200, problem: { code: 'BROKEN_LINK', seq: '201' } });
  });

  it('finds a whole stretch missing', async () => {
    await insider(`DELETE FROM ${table()} WHERE seq BETWEEN 101 AND 200`);
    expect(await verify()).toMatchObject({
      rowsVerified: 100,
      lastSeq: '100',
      problem: { code: 'SEQ_GAP', seq: '101', reason: 'row 101 is missing (the row after 100 is 201)' },
    });
  });

  it('names the first problem in trail order when later stretches have problems too', async () => {
    await insider(
      `UPDATE ${table()} SET justification = 'altered' WHERE seq IN (50, 150, 250)`,
      `DELETE FROM ${table()} WHERE seq = 101`,
    );
    expect(await verify()).toMatchObject({ rowsVerified: 49, problem: { code: 'ROW_ALTERED', seq: '50' } });
  });

  it('names a repeated row at the start of a stretch as repeated, before its link', async () => {
    await insider(
      `INSERT INTO ${table()} SELECT (json_populate_record(e, json_build_object(
         'recorded_at', e.recorded_at - interval '1 microsecond', 'prev_hash', '${'2'.repeat(64)}'))).*
         FROM ${table()} e WHERE seq = 101`,
    );
    expect(await verify()).toMatchObject({
      rowsVerified: 100,
      problem: { code: 'SEQ_REPEATED', seq: '101' },
    });
  });

  it('says how many rows no checkpoint covers yet, and when the last checkpoint was signed', async () => {
    const before = Date.now();
    const covered = await verify();
    const after = Date.now();
    const last = (await store.all()).at(-1)!;
    expect(covered).toMatchObject({
      ok: true,
      rowsNotCovered: 0,
      lastCheckpoint: { treeSize: '300', signedAt: new Date(last.signedAtMs).toISOString() },
    });
    // The age is measured while verifying, whenever the checkpoint was signed (the trail is built once).
    expect(covered.lastCheckpoint!.ageMs).toBeGreaterThanOrEqual(before - last.signedAtMs);
    expect(covered.lastCheckpoint!.ageMs).toBeLessThanOrEqual(after - last.signedAtMs);

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
    const rechained = await rechainedWithRow42Changed();
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
    const kept = witness[0].checkpoint;
    expect(report.problem).toEqual({
      code: 'CHECKPOINT_MISMATCH',
      seq: '100',
      reason: `row 100 has head hash ${rechained[99].rowHash.slice(0, 16)}… but the checkpoint kept by witness jot-mare, signed ${new Date(kept.signedAtMs).toISOString()} says ${kept.headHash.slice(0, 16)}…: rows up to 100 were rewritten`,
    });
  });

  it('finds a consistent rewrite against its own stored checkpoints when they were not signed again', async () => {
    // The insider rewrites row 42 and recomputes the hashes up to row 100, but cannot sign a new checkpoint.
    const rechained = await rechainedWithRow42Changed();
    await insider(
      ...rechained
        .slice(41, 100)
        .map(
          (r) =>
            `UPDATE ${table()} SET counterpart_node = '${r.fields.counterpartNode}', prev_hash = '${r.prevHash}', row_hash = '${r.rowHash}' WHERE seq = ${r.fields.seq}`,
        ),
    );
    const stored = (await store.all())[0];
    expect((await verify(false)).problem).toEqual({
      code: 'CHECKPOINT_MISMATCH',
      seq: '100',
      reason: `row 100 has head hash ${rechained[99].rowHash.slice(0, 16)}… but the stored checkpoint signed ${new Date(stored.signedAtMs).toISOString()} says ${stored.headHash.slice(0, 16)}…: rows up to 100 were rewritten`,
    });
  });

  it('accepts a trail that starts at a checkpoint (older rows dropped by retention), but not without one', async () => {
    await insider(`DELETE FROM ${table()} WHERE seq <= 100`);
    // Anchored by the stored and the witnessed checkpoint at 100; both checkpoints at 200 and 300 matched too.
    expect(await verify()).toMatchObject({
      ok: true,
      firstSeq: '101',
      rowsVerified: 200,
      checkpointsMatched: 6,
      rowsNotCovered: 0,
    });

    await insider(`DELETE FROM ${table()} WHERE seq <= 101`);
    expect(await verify()).toMatchObject({
      ok: false,
      firstSeq: '102',
      lastSeq: null,
      rowsVerified: 0,
      problem: {
        code: 'NO_ANCHOR',
        seq: '102',
        reason:
          'the trail starts at row 102 but no signed checkpoint covers row 101: rows before it are missing',
      },
    });
  });

  it('finds a trail after retention whose first row does not continue the checkpoint before it', async () => {
    await insider(
      `DELETE FROM ${table()} WHERE seq <= 100`,
      `UPDATE ${table()} SET prev_hash = '${'1'.repeat(64)}' WHERE seq = 101`,
    );
    const stored = (await store.all())[0];
    expect((await verify()).problem).toEqual({
      code: 'BROKEN_LINK',
      seq: '101',
      reason: `row 101 does not continue the head hash at size 100 signed in the stored checkpoint signed ${new Date(stored.signedAtMs).toISOString()}`,
    });
  });

  it('refuses a checkpoint with a bad signature or an untrusted key', async () => {
    await insider(
      `UPDATE "${db.schema}".audit_checkpoint SET head_hash = '${'c'.repeat(64)}' WHERE tree_size = 200`,
    );
    expect((await verify()).problem).toEqual({
      code: 'BAD_CHECKPOINT',
      seq: '200',
      reason: 'the stored checkpoint at size 200 has an invalid signature',
    });

    const report = await verifyAuditChain({ url: db.url, schema: db.schema }, [], {
      trustedKeys: [testKey().publicKeyDer],
      witnessCheckpoints: witness,
    });
    expect(report).toMatchObject({ ok: true, witnessCheckpointsRejected: 3, witnessCheckpointsChecked: 0 });
  });

  it('refuses stored checkpoints signed with a key that is not trusted', async () => {
    const report = await verifyAuditChain({ url: db.url, schema: db.schema }, await store.all(), {
      trustedKeys: [testKey().publicKeyDer],
    });
    expect(report).toMatchObject({ ok: false, rowsVerified: 0, checkpointsChecked: 1 });
    expect(report.problem).toEqual({
      code: 'BAD_CHECKPOINT',
      seq: '100',
      reason: `the stored checkpoint at size 100 is signed with key ${key.keyId}, which is not trusted`,
    });
  });

  it('counts any valid signature when no key is named as trusted', async () => {
    const report = await verifyAuditChain({ url: db.url, schema: db.schema }, await store.all(), {
      witnessCheckpoints: witness,
    });
    expect(report).toMatchObject({
      ok: true,
      checkpointsChecked: 3,
      witnessCheckpointsChecked: 3,
      witnessCheckpointsRejected: 0,
      checkpointsMatched: 6,
    });
  });

  it('ignores witness checkpoints whose signature does not verify, whatever they claim', async () => {
    // A damaged or forged witness record claims another head at 200 and a trail of 1000 rows.
    const forged: WitnessCheckpoint[] = [
      { witness: 'jot-mare', checkpoint: { ...witness[1].checkpoint, headHash: 'c'.repeat(64) } },
      { witness: 'jot-mare', checkpoint: { ...witness[2].checkpoint, treeSize: '1000' } },
    ];
    const report = await verifyAuditChain({ url: db.url, schema: db.schema }, await store.all(), {
      trustedKeys: [key.publicKeyDer],
      witnessCheckpoints: [witness[0], ...forged],
    });
    expect(report).toMatchObject({
      ok: true,
      witnessCheckpointsChecked: 1,
      witnessCheckpointsRejected: 2,
      checkpointsMatched: 4,
      lastCheckpoint: { treeSize: '300' },
    });
  });

  it('names the latest signing of the largest checkpoint, and how old it is', async () => {
    const last = (await store.all()).at(-1)!;
    const hourAgo = Date.now() - 3_600_000;
    const earlier = signCheckpointAt(key, db.schema, 300n, last.headHash, hourAgo);
    const both = await verifyAuditChain({ url: db.url, schema: db.schema }, await store.all(), {
      trustedKeys: [key.publicKeyDer],
      witnessCheckpoints: [{ witness: 'jot-mare', checkpoint: recordOf(earlier) }],
    });
    expect(both).toMatchObject({
      ok: true,
      lastCheckpoint: { treeSize: '300', signedAt: new Date(last.signedAtMs).toISOString() },
    });
    expect(both.lastCheckpoint!.ageMs).toBeLessThan(3_600_000);

    const old = await verifyAuditChain({ url: db.url, schema: db.schema }, [], {
      witnessCheckpoints: [{ witness: 'jot-mare', checkpoint: recordOf(earlier) }],
    });
    expect(old.lastCheckpoint).toMatchObject({ treeSize: '300', signedAt: new Date(hourAgo).toISOString() });
    expect(old.lastCheckpoint!.ageMs).toBeGreaterThanOrEqual(3_600_000);
    expect(old.lastCheckpoint!.ageMs).toBeLessThan(3_660_000);

    // A checkpoint signed on a clock ahead of this one is not older than nothing.
    const ahead = signCheckpointAt(key, db.schema, 300n, last.headHash, Date.now() + 3_600_000);
    const skewed = await verifyAuditChain({ url: db.url, schema: db.schema }, [], {
      witnessCheckpoints: [{ witness: 'jot-mare', checkpoint: recordOf(ahead) }],
    });
    expect(skewed.lastCheckpoint?.ageMs).toBe(0);
  });
});

describe('readWitnessCheckpoints', () => {
  const record: SignedCheckpointRecord = {
    logId: 'msx_audit',
    treeSize: '100',
    headHash: 'a'.repeat(64),
    signedAtMs: 1767225600000,
    keyId: 'k1',
    publicKey: 'cHVi',
    signature: 'c2ln',
  };
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'msx-witness-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads nothing for a log the witness never kept', () => {
    writeFileSync(join(dir, 'other_log.jsonl'), `${JSON.stringify(record)}\n`);
    expect(readWitnessCheckpoints(dir, 'msx_audit')).toEqual([]);
  });

  it('reads one checkpoint per line, named by its witness or else by the folder, and skips blank lines', () => {
    writeFileSync(
      join(dir, 'msx_audit.jsonl'),
      [
        JSON.stringify({ ...record, witness: 'jot-mare' }),
        '',
        '   ',
        JSON.stringify({ ...record, treeSize: '200' }),
        '',
      ].join('\n'),
    );
    expect(readWitnessCheckpoints(dir, 'msx_audit')).toEqual([
      { witness: 'jot-mare', checkpoint: { ...record, witness: 'jot-mare' } },
      { witness: dir, checkpoint: { ...record, treeSize: '200' } },
    ]);
  });

  it('keeps the lines before a line torn by a crash', () => {
    writeFileSync(
      join(dir, 'msx_audit.jsonl'),
      `${JSON.stringify(record)}\n${JSON.stringify({ ...record, treeSize: '200' }).slice(0, 40)}`,
    );
    expect(readWitnessCheckpoints(dir, 'msx_audit')).toEqual([{ witness: dir, checkpoint: record }]);
  });
});
