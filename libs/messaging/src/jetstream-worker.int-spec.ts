import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MsxError } from '#contracts';
import { startNatsServer, waitFor, type TestNatsServer } from '#testing';
import { connectBus, type Bus } from './connection.js';
import { JetStreamWorker } from './jetstream-worker.js';
import { publishDurably } from './publisher.js';
import { Headers, Streams, Subjects } from './subjects.js';
import {
  deadLetterStream,
  ensureConsumer,
  ensureStream,
  routerConsumer,
  submitStream,
  type ConsumerSpec,
} from './topology.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

describe('JetStreamWorker against a real nats-server', () => {
  let nats: TestNatsServer;
  let bus: Bus;

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ servers: nats.url, name: 'worker-test' });
    await ensureStream(bus.jsm, submitStream());
    await ensureStream(bus.jsm, deadLetterStream());
  });

  afterAll(async () => {
    await bus.close();
    await nats.dispose();
  });

  /** A fresh durable consumer on the submit stream, filtered to one test's subject. */
  async function consumerFor(node: string, maxDeliver = 3): Promise<ConsumerSpec> {
    const spec = { ...routerConsumer(), durable: `t-${node}`, maxDeliver };
    await bus.jsm.consumers.add(Streams.submit, {
      durable_name: spec.durable,
      ack_policy: 'explicit',
      filter_subject: Subjects.submit(node),
      max_deliver: maxDeliver,
      ack_wait: 5_000_000_000,
    });
    return spec;
  }

  /** How many messages the dead-letter stream holds from `service`. */
  async function deadLetters(service: string): Promise<number> {
    const subject = Subjects.deadLetter(service);
    const info = await bus.jsm.streams.info(Streams.deadLetter, { subjects_filter: subject });
    return info.state.subjects?.[subject] ?? 0;
  }

  async function pending(spec: ConsumerSpec): Promise<number> {
    const info = await bus.jsm.consumers.info(spec.stream, spec.durable);
    return info.num_pending + info.num_ack_pending;
  }

  it('declares streams and consumers idempotently', async () => {
    await ensureStream(bus.jsm, submitStream());
    await ensureStream(bus.jsm, submitStream());
    await ensureConsumer(bus.jsm, routerConsumer());
    await ensureConsumer(bus.jsm, routerConsumer());
    const info = await bus.jsm.streams.info(Streams.submit);
    expect(info.config.subjects).toEqual([Subjects.submitAll]);
    expect(info.config.storage).toBe('file');
    expect(info.config.duplicate_window).toBe(2 * 3_600_000 * 1_000_000);
  });

  it('drops a republished message with the same msgID', async () => {
    const a = await publishDurably(bus.js, Subjects.submit('dedupe'), enc.encode('x'), { msgID: 'same-id' });
    const b = await publishDurably(bus.js, Subjects.submit('dedupe'), enc.encode('x'), { msgID: 'same-id' });
    expect(a.duplicate).toBe(false);
    expect(b.duplicate).toBe(true);
    expect(b.seq).toBe(a.seq);
  });

  it('acks only after the handler resolved, and hands over batches', async () => {
    const spec = await consumerFor('ok');
    for (let i = 0; i < 10; i++)
      await publishDurably(bus.js, Subjects.submit('ok'), enc.encode(`m${i}`), { msgID: `ok-${i}` });
    const seen: string[] = [];
    const worker = new JetStreamWorker<string>({
      bus,
      consumer: spec,
      service: 'test',
      batchSize: 4,
      decode: (m) => dec.decode(m.data),
      handle: async (batch) => {
        expect(batch.length).toBeLessThanOrEqual(4);
        seen.push(...batch.map((b) => b.value));
      },
    });
    await worker.start();
    await waitFor(
      async () => ((await pending(spec)) === 0 && seen.length === 10 ? true : undefined),
      'all acked',
    );
    await worker.stop();
    expect(seen.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`).sort());
  });

  it('naks a retryable failure and processes the message again', async () => {
    const spec = await consumerFor('retry');
    await publishDurably(bus.js, Subjects.submit('retry'), enc.encode('r'), { msgID: 'retry-1' });
    let attempts = 0;
    const worker = new JetStreamWorker<string>({
      bus,
      consumer: spec,
      service: 'test',
      retryDelayMs: 50,
      decode: (m) => dec.decode(m.data),
      handle: async () => {
        attempts++;
        if (attempts === 1) throw new MsxError('AUDIT.STORE_UNAVAILABLE', 'down', { retryable: true });
      },
    });
    await worker.start();
    await waitFor(
      async () => ((await pending(spec)) === 0 && attempts === 2 ? true : undefined),
      'second attempt acked',
    );
    await worker.stop();
    expect(attempts).toBe(2);
  });

  it('sends a permanent failure to the dead-letter subject with its reason, once, and tells onDeadLetter', async () => {
    const spec = await consumerFor('poison');
    await publishDurably(bus.js, Subjects.submit('poison'), enc.encode('good'), { msgID: 'p-good' });
    await publishDurably(bus.js, Subjects.submit('poison'), enc.encode('bad'), {
      msgID: 'p-bad',
      headers: { [Headers.correlationId]: 'corr-1' },
    });
    const handled: string[] = [];
    const deadLettered: string[] = [];
    const worker = new JetStreamWorker<string>({
      bus,
      consumer: spec,
      service: 'poison-test',
      batchSize: 10,
      decode: (m) => dec.decode(m.data),
      handle: async (batch) => {
        if (batch.some((b) => b.value === 'bad')) throw new MsxError('CONTRACT.INVALID', 'bad message');
        handled.push(...batch.map((b) => b.value));
      },
      onDeadLetter: async (_msg, reason) => {
        deadLettered.push(reason.code);
      },
    });
    await worker.start();
    await waitFor(
      async () => ((await pending(spec)) === 0 && deadLettered.length === 1 ? true : undefined),
      'poison settled',
    );
    await worker.stop();
    expect(handled).toEqual(['good']);
    expect(deadLettered).toEqual(['CONTRACT.INVALID']);
    const dlq = await bus.jsm.streams.getMessage(Streams.deadLetter, {
      last_by_subj: Subjects.deadLetter('poison-test'),
    });
    expect(dec.decode(dlq!.data)).toBe('bad');
    expect(dlq!.header.get(Headers.deadLetterCode)).toBe('CONTRACT.INVALID');
    expect(dlq!.header.get(Headers.originSubject)).toBe(Subjects.submit('poison'));
    expect(dlq!.header.get(Headers.correlationId)).toBe('corr-1');
  });

  it('dead-letters an undecodable message without calling the handler', async () => {
    const spec = await consumerFor('undecodable');
    await publishDurably(bus.js, Subjects.submit('undecodable'), enc.encode('???'), { msgID: 'u-1' });
    let handled = 0;
    const worker = new JetStreamWorker<string>({
      bus,
      consumer: spec,
      service: 'undecodable-test',
      decode: () => {
        throw new MsxError('CONTRACT.INVALID', 'not an envelope');
      },
      handle: async () => {
        handled++;
      },
    });
    await worker.start();
    await waitFor(async () => ((await pending(spec)) === 0 ? true : undefined), 'settled');
    await worker.stop();
    expect(handled).toBe(0);
    const dlq = await bus.jsm.streams.getMessage(Streams.deadLetter, {
      last_by_subj: Subjects.deadLetter('undecodable-test'),
    });
    expect(dlq!.header.get(Headers.deadLetterCode)).toBe('CONTRACT.INVALID');
  });

  it('gives a permanent failure to its dead-letter sink instead of the dead-letter subject, and retries while the sink fails', async () => {
    const spec = await consumerFor('sink');
    await publishDurably(bus.js, Subjects.submit('sink'), enc.encode('s'), { msgID: 's-1' });
    let sinkCalls = 0;
    const sunk: string[] = [];
    const worker = new JetStreamWorker<string>({
      bus,
      consumer: spec,
      service: 'sink-test',
      retryDelayMs: 20,
      deadLetters: async (msg, reason) => {
        sinkCalls++;
        if (sinkCalls === 1) throw new Error('audit subject unavailable');
        sunk.push(`${dec.decode(msg.data)}:${reason.code}`);
      },
      decode: (m) => dec.decode(m.data),
      handle: async () => {
        throw new MsxError('CONTRACT.INVALID', 'bad message');
      },
    });
    await worker.start();
    await waitFor(async () => ((await pending(spec)) === 0 && sunk.length === 1 ? true : undefined), 'sunk');
    await worker.stop();
    // The sink failed once: the worker gave the message to it again.
    expect(sinkCalls).toBe(2);
    expect(sunk).toEqual(['s:CONTRACT.INVALID']);
    const dlq = await bus.jsm.streams.getMessage(Streams.deadLetter, {
      last_by_subj: Subjects.deadLetter('sink-test'),
    });
    expect(dlq).toBeNull();
  });

  it('gives up after maxDeliver retryable failures and dead-letters the message', async () => {
    const spec = await consumerFor('flaky', 3);
    await publishDurably(bus.js, Subjects.submit('flaky'), enc.encode('f'), { msgID: 'f-1' });
    let attempts = 0;
    const worker = new JetStreamWorker<string>({
      bus,
      consumer: spec,
      service: 'flaky-test',
      retryDelayMs: 20,
      decode: (m) => dec.decode(m.data),
      handle: async () => {
        attempts++;
        throw new Error('keeps failing');
      },
    });
    await worker.start();
    await waitFor(async () => ((await pending(spec)) === 0 && attempts === 3 ? true : undefined), 'given up');
    await worker.stop();
    const dlq = await bus.jsm.streams.getMessage(Streams.deadLetter, {
      last_by_subj: Subjects.deadLetter('flaky-test'),
    });
    expect(dlq!.header.get(Headers.deadLetterCode)).toBe('BUS.MAX_DELIVERIES');
    expect(dlq!.header.get(Headers.deliveryCount)).toBe('3');
  });

  it('retries a hold beyond maxDeliver without dead-lettering: the message is not at fault', async () => {
    const spec = { ...routerConsumer(), durable: 't-hold', maxDeliver: 2 };
    await bus.jsm.consumers.add(Streams.submit, {
      durable_name: spec.durable,
      ack_policy: 'explicit',
      filter_subject: Subjects.submit('hold'),
      max_deliver: -1,
    });
    await publishDurably(bus.js, Subjects.submit('hold'), enc.encode('h'), { msgID: 'h-1' });
    let attempts = 0;
    const worker = new JetStreamWorker<string>({
      bus,
      consumer: spec,
      service: 'hold-test',
      retryDelayMs: 10,
      decode: (m) => dec.decode(m.data),
      handle: async () => {
        attempts++;
        if (attempts <= 4) throw new MsxError('AUDIT.UNAVAILABLE', 'trail down', { hold: true });
      },
    });
    await worker.start();
    await waitFor(
      async () => ((await pending(spec)) === 0 && attempts === 5 ? true : undefined),
      'processed after the hold',
    );
    await worker.stop();
    expect(attempts).toBe(5);
    const dlq = await bus.jsm.streams.getMessage(Streams.deadLetter, {
      last_by_subj: Subjects.deadLetter('hold-test'),
    });
    expect(dlq).toBeNull();
  });

  it('keeps in the dead-letter stream only what it gave up: a message given up on is never handled again, even when recording that fails for a while', async () => {
    // The trail is down: the handler fails, and so does recording the dead letter, until it comes back.
    const spec = await consumerFor('giveup', 2);
    await bus.jsm.consumers.update(Streams.submit, spec.durable, { max_deliver: -1 });
    for (const v of ['a', 'b', 'c'])
      await publishDurably(bus.js, Subjects.submit('giveup'), enc.encode(v), { msgID: `giveup-${v}` });
    let down = true;
    let recordAttempts = 0;
    const handled: string[] = [];
    const recorded: string[] = [];
    const worker = new JetStreamWorker<string>({
      bus,
      consumer: spec,
      service: 'giveup-test',
      retryDelayMs: 10,
      maxRetryDelayMs: 40,
      decode: (m) => dec.decode(m.data),
      handle: async (batch) => {
        if (down) throw new Error('trail down');
        handled.push(...batch.map((b) => b.value));
      },
      onDeadLetter: async (msg) => {
        recordAttempts++;
        if (down) throw new MsxError('AUDIT.STORE_UNAVAILABLE', 'trail down', { hold: true });
        recorded.push(dec.decode(msg.data));
      },
    });
    await worker.start();
    await waitFor(async () => (recordAttempts >= 4 ? true : undefined), 'recording the dead letter failed');
    down = false;
    await waitFor(
      async () => ((await pending(spec)) === 0 && handled.length + recorded.length === 3 ? true : undefined),
      'every message settled',
    );
    await worker.stop();
    expect(recorded.length).toBeGreaterThanOrEqual(1);
    expect([...handled, ...recorded].sort()).toEqual(['a', 'b', 'c']);
    expect(await deadLetters('giveup-test')).toBe(recorded.length);
  });

  it('does not count holds towards maxDeliver: after a long hold, one more failure is retried, not given up', async () => {
    const spec = await consumerFor('held-then-failed', 2);
    await bus.jsm.consumers.update(Streams.submit, spec.durable, { max_deliver: -1 });
    await publishDurably(bus.js, Subjects.submit('held-then-failed'), enc.encode('x'), { msgID: 'htf-1' });
    let attempts = 0;
    const worker = new JetStreamWorker<string>({
      bus,
      consumer: spec,
      service: 'held-then-failed-test',
      retryDelayMs: 10,
      maxRetryDelayMs: 20,
      decode: (m) => dec.decode(m.data),
      handle: async () => {
        attempts++;
        if (attempts <= 4) throw new MsxError('AUDIT.STORE_UNAVAILABLE', 'trail down', { hold: true });
        if (attempts === 5) throw new Error('one failure after the hold');
      },
    });
    await worker.start();
    await waitFor(async () => ((await pending(spec)) === 0 && attempts === 6 ? true : undefined), 'handled');
    await worker.stop();
    expect(await deadLetters('held-then-failed-test')).toBe(0);
  });
});
