import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { verifyAuditChain } from '#audit-store';
import { encodeEnvelope, envelopeFromJson, uuidv7 } from '#contracts';
import { publishDurably, Streams, Subjects, submitStream, type Bus } from '#messaging';
import {
  createTestSchema,
  startSecureCluster,
  waitFor,
  type SecureCluster,
  type ServiceProcess,
  type TestSchema,
} from '#testing';
import { asJson, validInternetContentReferralEnvelope } from '#testing/envelopes';
import { localNodes, requireBuild, startOn } from './support.js';

/** Submissions sent while the stream leader's server is killed and brought back. */
const SUBMISSIONS = 400;
/** Publishes in flight at once. */
const LANES = 6;
/** The sending node: a liaison officer's post, as in the fixtures. */
const SENDER = 'emlo-ne';
/** The named recipient of every submission. */
const RECIPIENT = 'cp-it';

/**
 * DESIGN §4 on NATS's own clustering: the exchange runs on three servers of the generated cluster with every
 * stream replicated three times (MSX_STREAM_REPLICAS=3), with two routers and two audit services. While a
 * party submits, the server leading the submit stream is killed with SIGKILL and later started again on what
 * it had written; then one router and one audit service are killed with SIGKILL, and the others go on. Every submission the broker
 * acknowledged to the party is routed once: one `submitted` row each, one copy in the recipient's inbox, no
 * duplicate; and the trail is one unbroken hash chain. How long delivery paused is printed, not asserted
 * (figures belong to the benchmark).
 */
describe('the exchange on a three-server cluster survives the loss of the stream leader', () => {
  let cluster: SecureCluster;
  let db: TestSchema;
  let admin: Bus;
  let sender: Bus;
  const services: ServiceProcess[] = [];
  /** Set when the test ends, so that a failed test leaves no party still sending. */
  let ended = false;

  beforeAll(async () => {
    requireBuild();
    cluster = await startSecureCluster({ nodes: localNodes() });
    db = await createTestSchema('cluster_failover');
    const env = {
      MSX_DATABASE_URL: db.url,
      MSX_DATABASE_SCHEMA: db.schema,
      MSX_DIRECTORY_FILE: 'deploy/directory.yaml',
      MSX_STREAM_REPLICAS: '3',
    };
    // Two of each, side by side: the routers share the submit stream's consumer and the ledger, the audit
    // services the audit stream's consumer and the chain (each append under the chain writer's lock).
    for (const [app, name] of [
      ['audit', 'audit-1'],
      ['audit', 'audit-2'],
      ['router', 'router-1'],
      ['router', 'router-2'],
    ] as const) {
      const s = startOn(cluster, env, app, undefined, name);
      services.push(s);
      await s.waitForLine(/ ready/, 90_000);
    }
    admin = await cluster.connectAs('msx-admin');
    sender = await cluster.connectAs(SENDER);
  }, 180_000);

  afterAll(async () => {
    ended = true;
    await Promise.all(services.map((s) => s.stop()));
    await sender?.close();
    await admin?.close();
    await cluster?.dispose();
    await db?.drop();
  }, 60_000);

  const submittedRows = async (ids: string[]) =>
    (
      await db.query<{ message_id: string; n: string }>(
        `SELECT message_id, count(*) AS n FROM "${db.schema}".audit_entry
          WHERE operation = 'submitted' AND message_id = ANY($1::text[]) GROUP BY message_id`,
        [ids],
      )
    ).map((r) => ({ id: r.message_id, n: Number(r.n) }));

  it('routes every acknowledged submission once although the leader is killed mid-stream', async () => {
    // The services made every stream they use with a copy on each server.
    for (const stream of [submitStream().name, Streams.inbox(RECIPIENT), Streams.audit, Streams.ledger])
      expect((await admin.jsm.streams.info(stream)).config.num_replicas).toBe(3);
    const ids = Array.from({ length: SUBMISSIONS }, () => uuidv7());
    const acked = new Set<string>();
    let retried = 0;
    /** Sends one submission until the broker acknowledges it, as a party's outbox does: same id each time. */
    const send = async (id: string) => {
      const json = validInternetContentReferralEnvelope({ id, recipients: [RECIPIENT] });
      const bytes = encodeEnvelope(
        envelopeFromJson(
          asJson({
            ...json,
            internetContentReferral: {
              ...json.internetContentReferral!,
              evidenceSha256: randomBytes(32).toString('hex'),
            },
          }),
        ),
      );
      const deadline = Date.now() + 90_000;
      for (;;) {
        try {
          await publishDurably(sender.js, Subjects.submit(SENDER), bytes, { msgID: id });
          acked.add(id);
          return;
        } catch (err) {
          if (ended || Date.now() > deadline) throw err;
          retried++;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    };
    let next = 0;
    /** While set, the lanes wait before their next submission: the test holds the party back. */
    const party = { paused: undefined as Promise<void> | undefined };
    const publishing = Promise.all(
      Array.from({ length: LANES }, async () => {
        for (let i = next++; i < SUBMISSIONS && !ended; i = next++) {
          await party.paused;
          await send(ids[i]);
          // About 60 a second: the kill lands while submissions flow.
          await new Promise((r) => setTimeout(r, LANES * 16));
        }
      }),
    );

    // Awaited below; if the test fails first, the lanes stop once it ends and their failure is not unhandled.
    publishing.catch(() => undefined);
    await waitFor(async () => (acked.size >= SUBMISSIONS / 4 ? true : undefined), 'a quarter acked', 60_000);
    const leaderName = (await admin.jsm.streams.info(submitStream().name)).cluster!.leader!;
    const leader = cluster.serverNamed(leaderName);
    const killedAt = Date.now();
    const ackedAtKill = acked.size;
    const pid = leader.server.pid!;
    await leader.server.kill();
    // Gone, not stopping: a SIGKILLed server flushes nothing and tells its peers nothing.
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    // Acknowledgements again after the kill.
    await waitFor(
      async () => (acked.size > ackedAtKill + 10 ? true : undefined),
      'acks after the kill',
      60_000,
    );
    // Acknowledged while the leader is still down: only another server's copy of the stream can do that.
    const resumedMs = Date.now() - killedAt;
    // The party holds back while the server comes back and one router and one audit service die as a crash
    // ends them, so that most submissions are left for the others to carry alone.
    let resume!: () => void;
    party.paused = new Promise((r) => (resume = r));
    await new Promise((r) => setTimeout(r, 2_000));
    await leader.server.start();
    const ackedAtServiceKill = acked.size;
    await Promise.all(services.filter((p) => ['router-1', 'audit-1'].includes(p.name)).map((p) => p.kill()));
    expect(SUBMISSIONS - ackedAtServiceKill).toBeGreaterThanOrEqual(SUBMISSIONS / 2);
    resume();
    await publishing;
    expect(acked.size).toBe(SUBMISSIONS);

    // Every acknowledged submission is in the trail once.
    const rows = await waitFor(
      async () => {
        const r = await submittedRows(ids);
        return r.length >= SUBMISSIONS ? r : undefined;
      },
      `${SUBMISSIONS} submissions in the trail`,
      120_000,
    );
    // Settle: a late redelivery would show up as a duplicate now, not after the test.
    await new Promise((r) => setTimeout(r, 3_000));
    const settled = await submittedRows(ids);
    expect(settled.filter((r) => r.n !== 1)).toEqual([]);
    expect(settled.length).toBe(rows.length);

    // One copy each in the recipient's inbox, and one `delivered` row each for it.
    const inbox = await admin.jsm.streams.info(Streams.inbox(RECIPIENT));
    expect(inbox.state.messages).toBe(SUBMISSIONS);
    const delivered = await db.query<{ n: string; distinct_ids: string }>(
      `SELECT count(*) AS n, count(DISTINCT message_id) AS distinct_ids FROM "${db.schema}".audit_entry
        WHERE operation = 'delivered' AND counterpart_node = $1 AND message_id = ANY($2::text[])`,
      [RECIPIENT, ids],
    );
    expect(delivered[0]).toEqual({ n: String(SUBMISSIONS), distinct_ids: String(SUBMISSIONS) });

    // The killed server is back in the cluster with a current copy of the submit stream.
    await waitFor(
      async () => {
        const c = (await admin.jsm.streams.info(submitStream().name)).cluster;
        const holders = [c?.leader, ...(c?.replicas ?? []).filter((r) => r.current).map((r) => r.name)];
        return holders.includes(leaderName) ? true : undefined;
      },
      `${leaderName} current again`,
      60_000,
    );

    // And the trail is one unbroken hash chain.
    const report = await verifyAuditChain({ url: db.url, schema: db.schema }, []);
    expect(report).toMatchObject({ ok: true });
    process.stdout.write(
      `cluster failover: ${leaderName} (leader of ${submitStream().name}) killed after ${ackedAtKill} acks; ` +
        `acks resumed within ${resumedMs} ms; router-1 and audit-1 killed after ${ackedAtServiceKill} acks; ` +
        `${retried} publishes retried by the party; ` +
        `${SUBMISSIONS} submissions routed once each\n`,
    );
  }, 300_000);
});
