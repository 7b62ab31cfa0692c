import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { encodeEnvelope, envelopeFromJson, uuidv7, type Envelope } from '#contracts';
import { publishDurably, Streams, Subjects } from '#messaging';
import { HoldingsStore, OUTBOX, OutboxStore } from '#node-app';
import { asJson, validRouteReportEnvelope, waitFor } from '#testing';
import { startNodeAppForTest, startNodeAppHarness, type NodeAppHarness } from '#testing/node-app';
import { PostHandler } from './post.handler.js';
import { postSetup } from './post.setup.js';

const POST = 'emlo-ne';

/**
 * A post's outbox on real NATS and PostgreSQL: reports leave in the order written, each once; written while
 * the exchange cannot be reached, or while the post's process is down, they wait and leave when it is back;
 * one stored whose confirmation was lost is not stored twice; every item received is acknowledged once.
 */
describe("a liaison officer's post", () => {
  let h: NodeAppHarness;
  /** The outbox as an officer's command writes it: its own connection to the post's schema. */
  let desk: { outbox: OutboxStore; close: () => Promise<void> };

  beforeAll(async () => {
    h = await startNodeAppHarness({
      nodeId: POST,
      schema: 'postoutbox',
      boot: (bed) =>
        startNodeAppForTest({
          ...bed,
          nodeId: POST,
          handler: PostHandler,
          ...postSetup(),
          outbox: { ackTimeoutMs: 1_000, pollMs: 100, maxBackoffMs: 500 },
        }),
    });
    const holdings = await HoldingsStore.open({
      url: h.db.url,
      schema: h.db.schema,
      poolSize: 1,
    });
    desk = { outbox: new OutboxStore(holdings), close: () => holdings.close() };
  }, 60_000);

  afterAll(async () => {
    await desk?.close();
    await h?.dispose();
  });

  const report = (n: number): Envelope =>
    envelopeFromJson(
      asJson(
        validRouteReportEnvelope({
          id: uuidv7(),
          createdAt: new Date().toISOString(),
          sender: POST,
          author: `${POST}.officer-1`,
          recipients: ['cp-it'],
          routeReport: { ...validRouteReportEnvelope().routeReport!, narrative: `Report ${n} from Niamey.` },
        }),
      ),
    );

  /** The post's reports in the submit stream, in stream order, as their ids. */
  const submittedReports = async () =>
    (await h.submitted()).filter((e) => e.payload.case === 'routeReport').map((e) => e.id);

  async function allSent(): Promise<void> {
    await waitFor(
      async () => ((await desk.outbox.waiting()) === 0 ? true : undefined),
      'an empty outbox',
      30_000,
    );
  }

  it('sends what is written in the order written, each once, and records where the exchange stored it', async () => {
    const reports = [report(1), report(2), report(3)];
    for (const r of reports) await desk.outbox.enqueue(r);
    // Written again by a hasty officer: nothing changes.
    expect(await desk.outbox.enqueue(reports[1])).toMatchObject({ queued: false });
    await allSent();
    expect(await submittedReports()).toEqual(reports.map((r) => r.id));
    const entries = (await desk.outbox.entries()).filter((e) => reports.some((r) => r.id === e.messageId));
    expect(entries.map((e) => e.messageId)).toEqual(reports.map((r) => r.id));
    const positions = entries.map((e) => e.submitSeq!);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(entries.every((e) => e.sentAt && e.attempts === 1)).toBe(true);
  });

  it('keeps what is written while the exchange cannot be reached, and sends it in order once it is back', async () => {
    const before = await submittedReports();
    await h.nats.stop();
    const offline = [report(4), report(5), report(6)];
    for (const r of offline) await desk.outbox.enqueue(r);
    // The post tries, and is not confirmed: everything waits, nothing is lost.
    await waitFor(
      async () =>
        (await desk.outbox.entries()).find((e) => e.messageId === offline[0].id)?.attempts ? true : undefined,
      'a try while the exchange is away',
      20_000,
    );
    expect(await desk.outbox.waiting()).toBe(3);
    const [head] = (await desk.outbox.entries()).filter((e) => e.messageId === offline[0].id);
    expect(head.lastError).toBeDefined();
    await h.nats.start();
    await allSent();
    // The test's own connection comes back on its own schedule, and JetStream answers once it has recovered
    // its streams: read the stream only then.
    await waitFor(
      () =>
        h.bus.jsm.streams.info(Streams.submit).then(
          () => true,
          () => undefined,
        ),
      "JetStream answering the test's connection again",
      30_000,
    );
    expect(await submittedReports()).toEqual([...before, ...offline.map((r) => r.id)]);
  });

  it('keeps what is written while the post is down, and sends it when the post starts again', async () => {
    const before = await submittedReports();
    await h.app().close();
    const written = [report(7), report(8)];
    for (const r of written) await desk.outbox.enqueue(r);
    // One of them was stored before its confirmation was lost: sent again, it is not stored twice.
    await publishDurably(h.bus.js, Subjects.submit(POST), encodeEnvelope(written[0]), {
      msgID: written[0].id,
    });
    await h.restart();
    await allSent();
    expect(await submittedReports()).toEqual([...before, ...written.map((r) => r.id)]);
  });

  it('acknowledges each item it receives to its originator, once, through the outbox', async () => {
    const item = envelopeFromJson(
      asJson(
        validRouteReportEnvelope({
          id: uuidv7(),
          createdAt: new Date().toISOString(),
          sender: 'cp-it',
          author: 'cp-it.analyst-1',
          recipients: [POST],
        }),
      ),
    );
    await h.deliverAndWait(item);
    await h.deliverAndWait(item);
    await allSent();
    const acks = (await h.submitted()).filter((e) => e.payload.case === 'acknowledgement');
    expect(acks).toHaveLength(1);
    expect(acks[0].recipients).toEqual(['cp-it']);
    expect(acks[0].payload.value).toMatchObject({ messageId: item.id });
    expect(acks[0].inReplyTo).toBe(item.id);
    expect(h.app().get(OUTBOX)).toBeInstanceOf(OutboxStore);
  });
});
