import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JetStreamApiError, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type TestNatsServer } from '#testing';
import { connectBus, type Bus } from './connection.js';
import { PipelinedPublisher } from './pipelined-publisher.js';

const enc = new TextEncoder();
/** JetStream's answer to a publish whose expected last sequence is not the stream's. */
const WRONG_LAST_SEQUENCE = 10071;

describe('PipelinedPublisher against a real nats-server', () => {
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let publisher: PipelinedPublisher;

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'PIPE', subjects: ['pipe.>'], duplicate_window: 60_000_000_000 });
    publisher = new PipelinedPublisher(nc, jetstream(nc), 2_000, '_INBOX_pipe-test');
  });

  afterAll(async () => {
    publisher.close();
    await nc.close();
    await nats.dispose();
  });

  it('answers each publish with its own ack, many in flight at once', async () => {
    const acks = await Promise.all(
      Array.from({ length: 2_000 }, (_, i) => publisher.publish(`pipe.many.${i % 7}`, enc.encode(`m${i}`))),
    );
    const seqs = acks.map((a) => a.seq);
    expect(new Set(seqs).size).toBe(2_000);
    expect(acks.every((a) => a.stream === 'PIPE' && a.duplicate === false)).toBe(true);
    // Each ack is the one of its own message: the stream holds message i at the seq answered to publish i.
    const jsm = await jetstreamManager(nc);
    for (const i of [0, 977, 1_999]) {
      const stored = await jsm.streams.getMessage('PIPE', { seq: seqs[i] });
      expect(new TextDecoder().decode(stored!.data)).toBe(`m${i}`);
    }
  });

  it('sends the msgID, so a repeat is stored once and answered as a duplicate', async () => {
    const first = await publisher.publish('pipe.dedup', enc.encode('x'), { msgID: 'pipe-dedup-1' });
    const again = await publisher.publish('pipe.dedup', enc.encode('x'), { msgID: 'pipe-dedup-1' });
    expect(again).toMatchObject({ seq: first.seq, duplicate: true });
  });

  it("sends the expected last subject sequence, and answers a mismatch with the stream's error code", async () => {
    const a = await publisher.publish('pipe.cas', enc.encode('1'), { expect: { lastSubjectSequence: 0 } });
    const b = await publisher.publish('pipe.cas', enc.encode('2'), {
      expect: { lastSubjectSequence: a.seq },
    });
    const stale = publisher.publish('pipe.cas', enc.encode('3'), { expect: { lastSubjectSequence: a.seq } });
    await expect(stale).rejects.toBeInstanceOf(JetStreamApiError);
    await expect(stale).rejects.toMatchObject({ code: WRONG_LAST_SEQUENCE });
    expect(b.seq).toBeGreaterThan(a.seq);
  });

  it('fails at once where no stream takes the subject', async () => {
    const started = Date.now();
    await expect(publisher.publish('nowhere.at.all', enc.encode('x'))).rejects.toThrow(/no responders/);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('fails a publish that nobody acks once its time is up, and carries on with the others', async () => {
    // A core subscriber answers nothing: the publish is delivered but never acked.
    const silent = nc.subscribe('silent.subject');
    const lost = publisher.publish('silent.subject', enc.encode('x'), { timeout: 300 });
    await expect(lost).rejects.toThrow(/not confirmed in time/);
    silent.unsubscribe();
    await expect(publisher.publish('pipe.after', enc.encode('y'))).resolves.toMatchObject({ stream: 'PIPE' });
  });
});

describe("a bus's JetStream client", () => {
  let nats: TestNatsServer;
  let bus: Bus;

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ servers: nats.url, name: 'pipelined-bus-test' });
    await bus.jsm.streams.add({ name: 'BUSPIPE', subjects: ['buspipe.>'] });
  });

  afterAll(async () => {
    await bus.close();
    await nats.dispose();
  });

  it('publishes through the pipelined publisher and keeps the rest of the client', async () => {
    const seen = bus.nc.subscribe('buspipe.one', { max: 1 });
    const ack = await bus.js.publish('buspipe.one', enc.encode('x'), { msgID: 'bus-1' });
    expect(ack).toMatchObject({ stream: 'BUSPIPE', seq: 1, duplicate: false });
    // The reply subject is a counter under the publisher's inbox, not a request's own random token.
    for await (const m of seen) expect(m.reply).toMatch(/^_INBOX\.[A-Za-z0-9]+\.[0-9a-z]{1,4}$/);
    const consumer = await bus.jsm.consumers.add('BUSPIPE', {
      durable_name: 'reader',
      ack_policy: 'explicit',
    });
    const read = await (await bus.js.consumers.get('BUSPIPE', consumer.name)).next({ expires: 2_000 });
    expect(new TextDecoder().decode(read!.data)).toBe('x');
  });
});
