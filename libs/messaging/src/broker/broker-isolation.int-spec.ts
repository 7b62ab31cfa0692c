import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { freePort, waitForPort } from '#testing';
import { publishDurably } from '../publisher.js';
import { Streams, Subjects } from '../subjects.js';
import { provisionBus } from '../topology.js';
import { brokerUsers, renderNatsServerConfig, type BrokerUser } from './nats-server-config.js';
import { inboxPrefixOf } from './permissions.js';

/**
 * Broker-level isolation (DESIGN §4), proven on a real nats-server started on the generated configuration:
 * a node's credentials cannot read another node's inbox by any path, nor speak for another node.
 */
describe('broker isolation on the generated nats-server configuration', () => {
  const NODES = ['cp-it', 'cp-gr'];
  let dir: string;
  let server: ChildProcess;
  let url: string;
  let users: BrokerUser[];
  const open: NatsConnection[] = [];

  const as = async (principal: string) => {
    const u = users.find((x) => x.principal === principal)!;
    const nc = await connect({
      servers: url,
      authenticator: nkeyAuthenticator(new TextEncoder().encode(u.seed)),
      inboxPrefix: inboxPrefixOf(principal),
      timeout: 3_000,
    });
    open.push(nc);
    return nc;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'msx-isolation-'));
    const port = await freePort();
    url = `nats://127.0.0.1:${port}`;
    users = brokerUsers(NODES);
    const config = join(dir, 'nats-server.conf');
    writeFileSync(
      config,
      renderNatsServerConfig({ host: '127.0.0.1', port, storeDir: join(dir, 'js'), users }),
    );
    server = spawn(process.env.NATS_SERVER_BIN ?? 'nats-server', ['-c', config], { stdio: 'ignore' });
    await waitForPort(port);
    const router = await as('msx-router');
    const jsm = await jetstreamManager(router);
    await provisionBus(jsm, NODES);
    // One item in each inbox.
    const js = jetstream(router);
    await publishDurably(js, Subjects.deliver('cp-it'), new TextEncoder().encode('for cp-it'), {
      msgID: 'a',
    });
    await publishDurably(js, Subjects.deliver('cp-gr'), new TextEncoder().encode('for cp-gr'), {
      msgID: 'b',
    });
  });

  afterAll(async () => {
    await Promise.all(open.map((nc) => nc.close().catch(() => undefined)));
    server?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets a node read and ack its own inbox through its own consumer, and submit as itself', async () => {
    const nc = await as('cp-it');
    const js = jetstream(nc);
    const consumer = await js.consumers.get(Streams.inbox('cp-it'), 'inbox-cp-it');
    const m = await consumer.next({ expires: 2_000 });
    expect(new TextDecoder().decode(m!.data)).toBe('for cp-it');
    expect(await m!.ackAck()).toBe(true);
    await expect(
      js.publish(Subjects.submit('cp-it'), new Uint8Array([1]), { msgID: 's1' }),
    ).resolves.toMatchObject({
      stream: Streams.submit,
    });
  });

  /** Resolves to true when the operation failed: refused by the server or never answered. */
  const refused = (op: Promise<unknown>) =>
    op.then(
      () => false,
      () => true,
    );

  it("cannot pull from another node's consumer", async () => {
    const js = jetstream(await as('cp-it'), { timeout: 1_500 });
    expect(
      await refused(
        js.consumers.get(Streams.inbox('cp-gr'), 'inbox-cp-gr').then((c) => c.next({ expires: 1_000 })),
      ),
    ).toBe(true);
  });

  it("cannot create a consumer on another node's inbox stream", async () => {
    const jsm = await jetstreamManager(await as('cp-it'), { timeout: 1_500 });
    expect(
      await refused(
        jsm.consumers.add(Streams.inbox('cp-gr'), { durable_name: 'spy', ack_policy: 'explicit' }),
      ),
    ).toBe(true);
    expect(await refused(jsm.consumers.add(Streams.inbox('cp-gr'), { ack_policy: 'none' }))).toBe(true);
  });

  it("cannot get another node's messages by message get or direct get", async () => {
    const jsm = await jetstreamManager(await as('cp-it'), { timeout: 1_500 });
    expect(await refused(jsm.streams.getMessage(Streams.inbox('cp-gr'), { seq: 1 }))).toBe(true);
    expect(await refused(jsm.direct.getMessage(Streams.inbox('cp-gr'), { seq: 1 }))).toBe(true);
  });

  it("cannot subscribe to another node's subjects, the shared _INBOX.> or everything", async () => {
    const nc = await as('cp-it');
    const violations: string[] = [];
    void (async () => {
      for await (const s of nc.status()) if (s.type === 'error') violations.push(String(s.error));
    })();
    for (const subject of [
      Subjects.deliver('cp-gr'),
      '_INBOX.>',
      `${inboxPrefixOf('cp-gr')}.>`,
      '>',
      '$JS.>',
    ]) {
      const sub = nc.subscribe(subject);
      const closed = sub.closed.then(
        () => 'closed',
        (err: unknown) => String(err),
      );
      await nc.flush();
      expect(
        await Promise.race([closed, new Promise((r) => setTimeout(() => r('still open'), 1_000))]),
      ).not.toBe('still open');
    }
    expect(violations.join('\n')).toMatch(/permissions violation/i);
  });

  it('cannot submit or record audit events as another node', async () => {
    const js = jetstream(await as('cp-it'), { timeout: 1_500 });
    expect(await refused(js.publish(Subjects.submit('cp-gr'), new Uint8Array([1]), { msgID: 'spoof' }))).toBe(
      true,
    );
    expect(
      await refused(js.publish(Subjects.audit('cp-gr'), new Uint8Array([1]), { msgID: 'spoof-audit' })),
    ).toBe(true);
    // Nothing of it reached the streams: only cp-it's own submission is there.
    const jsm = await jetstreamManager(await as('msx-router'));
    expect((await jsm.streams.info(Streams.submit)).state.messages).toBe(1);
    expect((await jsm.streams.info(Streams.audit)).state.messages).toBe(0);
  });
});
