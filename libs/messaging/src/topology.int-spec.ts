import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startNatsServer, type TestNatsServer } from '#testing';
import { connectBus, type Bus } from './connection.js';
import { publishDurably } from './publisher.js';
import { Streams, Subjects } from './subjects.js';
import { auditStream, checkpointStream, ensureStream, inboxStream, submitStream } from './topology.js';

/**
 * The streams that carry evidence on its way to the trail (submissions, audit events, checkpoints): the
 * JetStream API deletes no message from them and does not purge them, whatever the caller's rights, and the
 * setting cannot be lifted. An inbox stays open to deletion: the router withdraws a recalled copy from it.
 */
describe('streams that keep evidence', () => {
  let nats: TestNatsServer;
  let bus: Bus;

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ servers: nats.url, name: 'topology-test', connectTimeoutMs: 10_000 });
    for (const s of [submitStream(), auditStream(), checkpointStream(), inboxStream('cp-it')])
      await ensureStream(bus.jsm, s);
  });

  afterAll(async () => {
    await bus?.close();
    await nats?.dispose();
  });

  it.each([
    [Streams.submit, Subjects.submit('cp-it')],
    [Streams.audit, Subjects.audit('cp-it')],
    [Streams.checkpoints, Subjects.checkpointAudit],
  ])('%s: a message cannot be deleted, nor the stream purged', async (stream, subject) => {
    const { seq } = await publishDurably(bus.js, subject, new Uint8Array([1]), { msgID: `${stream}-1` });
    await expect(bus.jsm.streams.deleteMessage(stream, seq)).rejects.toThrow(/delete/i);
    await expect(bus.jsm.streams.purge(stream)).rejects.toThrow(/purge/i);
    expect((await bus.jsm.streams.info(stream)).state.messages).toBe(1);
    // Nor is the setting lifted: the broker refuses, and a service declaring the stream again keeps it.
    const { config } = await bus.jsm.streams.info(stream);
    await expect(bus.jsm.streams.update(stream, { ...config, deny_delete: false })).rejects.toThrow(
      /cancel deny message deletes/,
    );
    await expect(bus.jsm.streams.update(stream, { ...config, deny_purge: false })).rejects.toThrow(
      /cancel deny purge/,
    );
    await ensureStream(
      bus.jsm,
      stream === Streams.submit
        ? submitStream()
        : stream === Streams.audit
          ? auditStream()
          : checkpointStream(),
    );
    expect((await bus.jsm.streams.info(stream)).config).toMatchObject({
      deny_delete: true,
      deny_purge: true,
    });
  });

  it('a service of an earlier version, which declares the stream without them, keeps them', async () => {
    await ensureStream(bus.jsm, { ...submitStream(), noRemoval: undefined });
    expect((await bus.jsm.streams.info(Streams.submit)).config).toMatchObject({
      deny_delete: true,
      deny_purge: true,
    });
  });

  it('an inbox stays open to the router’s withdrawal of a recalled copy', async () => {
    const { seq } = await publishDurably(bus.js, Subjects.deliver('cp-it'), new Uint8Array([1]), {
      msgID: 'inbox-1',
    });
    await bus.jsm.streams.deleteMessage(Streams.inbox('cp-it'), seq);
    expect((await bus.jsm.streams.info(Streams.inbox('cp-it'))).state.messages).toBe(0);
  });
});
