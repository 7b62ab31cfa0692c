import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DeliverPolicy, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { ADMIN_PRINCIPAL, SERVICE_PRINCIPALS, type CoreService } from '#contracts';
import { startSecureBroker, type SecureBroker } from '#testing';
import type { Bus } from '../connection.js';
import { publishDurably } from '../publisher.js';
import { Durables, Streams, Subjects } from '../subjects.js';
import {
  auditConsumer,
  auditStream,
  busTopology,
  checkpointStream,
  deadLetterStream,
  declareTopology,
  submitStream,
  type BusTopology,
} from '../topology.js';
import { CORE_SERVICES } from './permissions.js';

/**
 * The core services' JetStream rights on a real broker started on the generated configuration: each may use
 * the JetStream API for what its code does, and none may delete or purge a stream; only the router deletes
 * messages, and only from inboxes. A refused call is a permissions violation the broker reports on the
 * connection; the streams are checked afterwards as the operator.
 */
const NODES = ['cp-it', 'cp-gr'];
/** Short, so that a refusal the client does not map to its request costs little. */
const REQUEST_TIMEOUT_MS = 1_000;

/** What each service declares at start, as its module does (router, audit and gateway `*.module.ts`). */
const BOOT_TOPOLOGY: Record<CoreService, BusTopology> = {
  router: busTopology(NODES),
  audit: { streams: [auditStream(), deadLetterStream(), checkpointStream()], consumers: [auditConsumer()] },
  gateway: { streams: [submitStream()], consumers: [] },
};

/** The streams of the exchange on the broker: the shared ones and an inbox. */
const STREAMS = [
  Streams.submit,
  Streams.audit,
  Streams.checkpoints,
  Streams.deadLetter,
  Streams.ledger,
  Streams.inbox('cp-it'),
];

/** A core service connected with its own credentials, and what the broker refused it. */
interface Service {
  bus: Bus;
  /** Its JetStream manager with a short request timeout. */
  jsm: JetStreamManager;
  /** The publish permission violations the broker reported on its connection, by subject. */
  violations: string[];
}

const enc = new TextEncoder();

/** Resolves to true when the operation failed: refused by the server or never answered. */
const refused = (op: Promise<unknown>) =>
  op.then(
    () => false,
    () => true,
  );

describe('the core services’ JetStream rights on the generated broker', () => {
  let broker: SecureBroker;
  let admin: Bus;
  const services = {} as Record<CoreService, Service>;
  /** Declarations at start that failed under the service's own rights. */
  const bootFailures: string[] = [];

  async function connect(service: CoreService): Promise<Service> {
    const bus = await broker.connectAs(SERVICE_PRINCIPALS[service]);
    const violations: string[] = [];
    void (async () => {
      for await (const s of bus.nc.status()) {
        const err = s.type === 'error' ? (s.error as Error & { operation?: string; subject?: string }) : null;
        if (err?.name === 'PermissionViolationError' && err.operation === 'publish')
          violations.push(err.subject!);
      }
    })();
    const jsm = await jetstreamManager(bus.nc, { timeout: REQUEST_TIMEOUT_MS, checkAPI: false });
    return { bus, jsm, violations };
  }

  /** Messages in each stream of the exchange, as the operator sees them. */
  async function counts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for await (const s of admin.jsm.streams.list()) out[s.config.name] = s.state.messages;
    return out;
  }

  /** The stream sequence of a message the operator puts on `subject`. */
  let fixtures = 0;
  async function put(subject: string): Promise<number> {
    fixtures++;
    return (
      await publishDurably(admin.js, subject, enc.encode(`fixture ${fixtures}`), { msgID: `f-${fixtures}` })
    ).seq;
  }

  /** Runs `op` as `service` and returns the subjects the broker refused it meanwhile. */
  async function refusals(service: Service, op: () => Promise<void>): Promise<string[]> {
    const from = service.violations.length;
    await op();
    // The violation is reported before the answer to a later round trip: after it, it has been seen.
    await service.bus.nc.flush();
    return service.violations.slice(from);
  }

  beforeAll(async () => {
    broker = await startSecureBroker({ nodes: NODES });
    admin = await broker.connectAs(ADMIN_PRINCIPAL);
    for (const s of CORE_SERVICES) services[s] = await connect(s);
    // What each service does at start, under its own rights: the gateway first on the empty broker (it
    // creates), the audit service, the router; then all three again, as on a restart (they update).
    for (let round = 1; round <= 2; round++)
      for (const s of ['gateway', 'audit', 'router'] as const)
        await declareTopology(services[s].bus.jsm, BOOT_TOPOLOGY[s]).catch((err: unknown) =>
          bootFailures.push(`${s}, round ${round}: ${(err as Error).message}`),
        );
    await put(Subjects.submit('cp-it'));
    await put(Subjects.audit('cp-it'));
    await put(Subjects.checkpointAudit);
    await put(Subjects.deadLetter('msx-router'));
    await put(Subjects.ledger('item', 'item-1'));
    await put(Subjects.deliver('cp-it'));
    await put(Subjects.deliver('cp-gr'));
  });

  afterAll(async () => {
    await Promise.all(Object.values(services).map((s) => s.bus.close().catch(() => undefined)));
    await admin?.close();
    await broker?.dispose();
  });

  it('lets each service declare at start, under its own rights, the streams and consumers it uses', async () => {
    expect(bootFailures).toEqual([]);
    expect(Object.keys(await counts()).sort()).toEqual(
      BOOT_TOPOLOGY.router.streams.map((s) => s.name).sort(),
    );
    for (const c of BOOT_TOPOLOGY.router.consumers)
      await expect(admin.jsm.consumers.info(c.stream, c.durable)).resolves.toBeTruthy();
    for (const s of CORE_SERVICES)
      expect({ s, violations: services[s].violations }).toEqual({ s, violations: [] });
  });

  it.each(CORE_SERVICES)('%s can neither delete nor purge any stream', async (name) => {
    const service = services[name];
    const before = await counts();
    const denied = await refusals(service, async () => {
      for (const stream of STREAMS) {
        expect(await refused(service.jsm.streams.delete(stream))).toBe(true);
        expect(await refused(service.jsm.streams.purge(stream))).toBe(true);
      }
    });
    expect(await counts()).toEqual(before);
    // Refused by the broker's permissions, not only by the evidence streams' own flags.
    expect(denied).toEqual(
      expect.arrayContaining(
        STREAMS.flatMap((s) => [`$JS.API.STREAM.DELETE.${s}`, `$JS.API.STREAM.PURGE.${s}`]),
      ),
    );
  });

  it('lets the router withdraw a copy from an inbox, and delete no message from any other stream', async () => {
    const router = services.router;
    const seq = await put(Subjects.deliver('cp-gr'));
    const inbox = Streams.inbox('cp-gr');
    const inboxBefore = (await admin.jsm.streams.info(inbox)).state.messages;
    expect(await router.jsm.streams.deleteMessage(inbox, seq)).toBe(true);
    expect((await admin.jsm.streams.info(inbox)).state.messages).toBe(inboxBefore - 1);

    const others = [Streams.submit, Streams.audit, Streams.checkpoints, Streams.deadLetter, Streams.ledger];
    const before = await counts();
    const denied = await refusals(router, async () => {
      for (const stream of others) {
        const last = (await admin.jsm.streams.info(stream)).state.last_seq;
        expect({ stream, refused: await refused(router.jsm.streams.deleteMessage(stream, last)) }).toEqual({
          stream,
          refused: true,
        });
      }
    });
    expect(await counts()).toEqual(before);
    expect(denied).toEqual(others.map((s) => `$JS.API.STREAM.MSG.DELETE.${s}`));
  });

  it.each(['audit', 'gateway'] as const)('%s deletes no message, from an inbox either', async (name) => {
    const service = services[name];
    const seq = await put(Subjects.deliver('cp-it'));
    const before = await counts();
    const denied = await refusals(service, async () => {
      expect(await refused(service.jsm.streams.deleteMessage(Streams.inbox('cp-it'), seq))).toBe(true);
      expect(await refused(service.jsm.streams.deleteMessage(Streams.deadLetter, 1))).toBe(true);
    });
    expect(await counts()).toEqual(before);
    expect(denied).toEqual([
      `$JS.API.STREAM.MSG.DELETE.${Streams.inbox('cp-it')}`,
      `$JS.API.STREAM.MSG.DELETE.${Streams.deadLetter}`,
    ]);
  });

  it('lets the gateway and the audit service change the limits of no stream they do not declare', async () => {
    const attempts: [CoreService, string][] = [
      ['gateway', Streams.audit],
      ['gateway', Streams.checkpoints],
      ['gateway', Streams.ledger],
      ['audit', Streams.submit],
      ['audit', Streams.ledger],
    ];
    for (const [name, stream] of attempts) {
      const service = services[name];
      const { config } = await admin.jsm.streams.info(stream);
      const denied = await refusals(service, async () => {
        // One second instead of days: everything older would be gone at once.
        expect(await refused(service.jsm.streams.update(stream, { max_age: 1_000_000_000 }))).toBe(true);
      });
      expect({ name, denied }).toEqual({ name, denied: [`$JS.API.STREAM.UPDATE.${stream}`] });
      expect((await admin.jsm.streams.info(stream)).config.max_age).toBe(config.max_age);
    }
  });

  it("deletes no service's durable consumer, and lets the gateway create none", async () => {
    for (const name of CORE_SERVICES) {
      const service = services[name];
      const denied = await refusals(service, async () => {
        expect(await refused(service.jsm.consumers.delete(Streams.submit, Durables.router))).toBe(true);
        expect(await refused(service.jsm.consumers.delete(Streams.audit, Durables.audit))).toBe(true);
      });
      expect({ name, denied }).toEqual({
        name,
        denied: [
          `$JS.API.CONSUMER.DELETE.${Streams.submit}.${Durables.router}`,
          `$JS.API.CONSUMER.DELETE.${Streams.audit}.${Durables.audit}`,
        ],
      });
    }
    await expect(admin.jsm.consumers.info(Streams.submit, Durables.router)).resolves.toBeTruthy();
    await expect(admin.jsm.consumers.info(Streams.audit, Durables.audit)).resolves.toBeTruthy();
    const gateway = services.gateway;
    const denied = await refusals(gateway, async () => {
      expect(
        await refused(
          gateway.jsm.consumers.add(Streams.submit, { durable_name: 'spy', ack_policy: 'explicit' }),
        ),
      ).toBe(true);
    });
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatch(/^\$JS\.API\.CONSUMER\.CREATE\./);
    await expect(admin.jsm.consumers.info(Streams.submit, 'spy')).rejects.toThrow();
  });

  it('still lets each service make every JetStream call its code makes', async () => {
    const { router, audit, gateway } = services;
    await put(Subjects.ledger('item', 'item-2'));
    const denied = [
      ...(await refusals(router, async () => {
        // The ledger: reads by subject, and an ordered consumer that deletes its consumer when it resets.
        const last = { last_by_subj: Subjects.ledger('item', 'item-2') };
        expect((await router.bus.jsm.streams.getMessage(Streams.ledger, last))?.subject).toBe(
          last.last_by_subj,
        );
        expect((await router.bus.jsm.direct.getMessage(Streams.ledger, last))?.subject).toBe(
          last.last_by_subj,
        );
        const reader = await router.bus.js.consumers.get(Streams.ledger, {
          filter_subjects: Subjects.ledger('item', '*'),
          deliver_policy: DeliverPolicy.LastPerSubject,
        });
        const first = await reader.next({ expires: 1_000 });
        expect(first?.subject).toMatch(/^msx\.ledger\.item\./);
        expect(await router.jsm.consumers.delete(Streams.ledger, (await reader.info(true)).name)).toBe(true);
        // Routing: a submission pulled and acked, a copy delivered, an inbox consumer's lag read.
        const submissions = await router.bus.js.consumers.get(Streams.submit, Durables.router);
        expect(await (await submissions.next({ expires: 1_000 }))?.ackAck()).toBe(true);
        await publishDurably(router.bus.js, Subjects.deliver('cp-it'), enc.encode('copy'), {
          msgID: 'copy-1',
        });
        await router.bus.jsm.consumers.info(Streams.inbox('cp-it'), Durables.inbox('cp-it'));
      })),
      ...(await refusals(audit, async () => {
        // Recording: an audit event pulled and acked; the chain: checkpoints read, witnesses listed.
        const events = await audit.bus.js.consumers.get(Streams.audit, Durables.audit);
        expect(await (await events.next({ expires: 1_000 }))?.ackAck()).toBe(true);
        expect((await audit.bus.jsm.streams.getMessage(Streams.checkpoints, { seq: 1 }))?.seq).toBe(1);
        const witnesses: string[] = [];
        for await (const c of audit.bus.jsm.consumers.list(Streams.checkpoints)) witnesses.push(c.name);
        expect(witnesses.sort()).toEqual(NODES.map(Durables.witness).sort());
        await publishDurably(audit.bus.js, Subjects.checkpointAudit, enc.encode('cp'), { msgID: 'cp-1' });
      })),
      ...(await refusals(gateway, async () => {
        // Reading an inbox by position, the audit gate's backlog, a submission on a party's behalf.
        const m = await gateway.bus.jsm.direct.getMessage(Streams.inbox('cp-it'), {
          seq: 1,
          next_by_subj: Subjects.deliver('cp-it'),
        });
        expect(m?.subject).toBe(Subjects.deliver('cp-it'));
        await gateway.bus.jsm.consumers.info(Streams.audit, Durables.audit);
        await publishDurably(gateway.bus.js, Subjects.submit('cp-gr'), enc.encode('s'), { msgID: 'sub-1' });
      })),
    ];
    expect(denied).toEqual([]);
  });
});
