import { describe, expect, it } from '@jest/globals';
import { ADMIN_PRINCIPAL, SERVICE_PRINCIPALS } from '#contracts';
import { Streams } from '../subjects.js';
import { brokerUsers, renderNatsServerConfig } from './nats-server-config.js';
import {
  adminPermissions,
  CORE_SERVICES,
  NAMED_STREAMS,
  partyPermissions,
  partyServices,
  RESPONSE_WINDOW_MS,
  servicePermissions,
} from './permissions.js';

describe('broker permissions', () => {
  it('exports to a party only its own submit and audit subjects and its own consumers', () => {
    const subjects = partyServices('cp-it').map((s) => s.subject);
    expect(subjects.filter((s) => s.startsWith('msx.'))).toEqual(['msx.submit.cp-it', 'msx.audit.cp-it']);
    for (const s of subjects.filter((x) => x.startsWith('$JS'))) expect(s).toMatch(/(inbox|witness)-cp-it/);
    expect(
      partyServices('cp-it')
        .filter((s) => s.streamResponse)
        .map((s) => s.subject),
    ).toEqual([
      '$JS.API.CONSUMER.MSG.NEXT.MSX_INBOX_cp-it.inbox-cp-it',
      '$JS.API.CONSUMER.MSG.NEXT.MSX_CHECKPOINTS.witness-cp-it',
    ]);
  });

  it("gives a node no subject of another node and no wildcard over others' subjects", () => {
    const p = partyPermissions('cp-it');
    for (const subject of [...p.publish, ...p.subscribe]) {
      expect(subject).not.toMatch(
        /cp-gr|^_INBOX\.|^>$|msx\.deliver\.|\$JS\.API\.>|CONSUMER\.CREATE|STREAM\.MSG\.GET|DIRECT\.GET/,
      );
    }
    expect(p.subscribe).toContain('_INBOX_cp-it.>');
  });

  it('lets only the audit service publish the audit heartbeat and answer status requests and queries', () => {
    expect(servicePermissions('audit').publish).toContain('msx.status.audit');
    expect(servicePermissions('audit').subscribe).toEqual(
      expect.arrayContaining(['msx.status.audit.request', 'msx.query.audit.>']),
    );
    for (const other of ['router', 'gateway'] as const) {
      expect(servicePermissions(other).publish).not.toContain('msx.status.audit');
      expect(servicePermissions(other).subscribe).not.toContain('msx.status.audit.request');
      expect(servicePermissions(other).subscribe.some((s) => s.startsWith('msx.query.audit'))).toBe(false);
    }
  });

  it('lets only the router answer queries about items, and only the gateway ask them', () => {
    expect(servicePermissions('router').subscribe).toContain('msx.query.router.>');
    expect(servicePermissions('gateway').publish).toContain('msx.query.router.>');
    expect(servicePermissions('gateway').subscribe.some((s) => s.startsWith('msx.query'))).toBe(false);
    expect(servicePermissions('audit').subscribe).not.toContain('msx.query.router.>');
    expect(servicePermissions('audit').publish).not.toContain('msx.query.router.>');
    expect(partyPermissions('cp-it').publish.some((s) => s.startsWith('msx.query'))).toBe(false);
  });

  it('asks the broker to remember delivered reply subjects only briefly, and only for parties', () => {
    // With allow_responses the broker records the reply subject of every message delivered to the user (each
    // JetStream delivery has one) for the whole window, and walks them all on each delivery beyond 4,096.
    expect(RESPONSE_WINDOW_MS).toBeLessThanOrEqual(5_000);
    expect(partyPermissions('cp-it').allowResponses).toEqual({ windowMs: RESPONSE_WINDOW_MS });
    expect(adminPermissions().allowResponses).toBe(false);
    const coreInboxes = [...Object.values(SERVICE_PRINCIPALS), ADMIN_PRINCIPAL].map((p) => `_INBOX_${p}.>`);
    for (const service of CORE_SERVICES) {
      const p = servicePermissions(service);
      expect(p.allowResponses).toBe(false);
      // It answers core principals under their inbox prefixes instead, and no one else.
      expect(p.publish).toEqual(expect.arrayContaining(coreInboxes));
      expect(p.publish.filter((s) => s.startsWith('_INBOX'))).toHaveLength(coreInboxes.length);
    }
  });

  describe('JetStream rights of the core services', () => {
    const denied = (service: (typeof CORE_SERVICES)[number]) => servicePermissions(service).publishDeny ?? [];

    it('names every stream of the exchange but the per-node inboxes', () => {
      expect(NAMED_STREAMS).toEqual(
        expect.arrayContaining([
          Streams.submit,
          Streams.audit,
          Streams.checkpoints,
          Streams.deadLetter,
          Streams.ledger,
        ]),
      );
      expect(NAMED_STREAMS.some((s) => s.startsWith(Streams.inbox('')))).toBe(false);
    });

    it('lets no core service delete or purge a stream', () => {
      for (const service of CORE_SERVICES) {
        expect(servicePermissions(service).publish).toContain('$JS.API.>');
        expect(denied(service)).toEqual(
          expect.arrayContaining(['$JS.API.STREAM.DELETE.>', '$JS.API.STREAM.PURGE.>']),
        );
      }
    });

    it('lets only the router delete messages, and only from inboxes', () => {
      for (const service of ['audit', 'gateway'] as const)
        expect(denied(service)).toContain('$JS.API.STREAM.MSG.DELETE.>');
      const router = denied('router');
      // Its recall of a copy: MSG.DELETE on an inbox stream is matched by no denial.
      expect(router.filter((s) => s.startsWith('$JS.API.STREAM.MSG.DELETE.'))).toEqual(
        NAMED_STREAMS.map((s) => `$JS.API.STREAM.MSG.DELETE.${s}`),
      );
      expect(router).not.toContain('$JS.API.STREAM.MSG.DELETE.>');
      expect(router).not.toContain(`$JS.API.STREAM.MSG.DELETE.${Streams.inbox('cp-it')}`);
    });

    it('lets the gateway and the audit service create and update only the streams they declare', () => {
      const administered = (service: 'audit' | 'gateway') =>
        NAMED_STREAMS.filter(
          (s) =>
            !denied(service).includes(`$JS.API.STREAM.CREATE.${s}`) &&
            !denied(service).includes(`$JS.API.STREAM.UPDATE.${s}`),
        );
      expect(administered('gateway')).toEqual([Streams.submit]);
      expect(administered('audit').sort()).toEqual(
        [Streams.audit, Streams.deadLetter, Streams.checkpoints].sort(),
      );
      // The router provisions the whole exchange.
      expect(denied('router').some((s) => /STREAM\.(CREATE|UPDATE)/.test(s))).toBe(false);
    });

    it('lets only the router delete consumers, and only the ordered ones on its ledger', () => {
      for (const service of ['audit', 'gateway'] as const)
        expect(denied(service)).toContain('$JS.API.CONSUMER.DELETE.>');
      const router = denied('router').filter((s) => s.startsWith('$JS.API.CONSUMER.DELETE.'));
      expect(router).toEqual(
        NAMED_STREAMS.filter((s) => s !== Streams.ledger).map((s) => `$JS.API.CONSUMER.DELETE.${s}.>`),
      );
    });

    it('lets the gateway, which reads no stream through a consumer, create none', () => {
      expect(denied('gateway')).toEqual(
        expect.arrayContaining(['$JS.API.CONSUMER.CREATE.>', '$JS.API.CONSUMER.DURABLE.CREATE.>']),
      );
      for (const service of ['router', 'audit'] as const)
        expect(denied(service).some((s) => s.includes('CONSUMER.CREATE'))).toBe(false);
    });

    it("gives a party no denial, which the configuration of a post's leaf node would not carry", () => {
      // A party is fenced by its allow-list alone; leaf-node.ts renders only that.
      expect(partyPermissions('cp-it').publishDeny ?? []).toEqual([]);
    });

    it("renders the denials into each core service's publish block, and none elsewhere", () => {
      const text = renderNatsServerConfig({
        host: '127.0.0.1',
        port: 4222,
        storeDir: '/tmp/js',
        users: brokerUsers(['cp-it']),
      });
      const blockOf = (principal: string) => text.slice(text.indexOf(`# ${principal}\n`)).split('\n')[4];
      for (const service of CORE_SERVICES) {
        const line = blockOf(SERVICE_PRINCIPALS[service]);
        expect(line).toMatch(/^\s*publish: \{ allow: \[.*\], deny: \[.*\] \}$/);
        for (const subject of servicePermissions(service).publishDeny!)
          expect(line).toContain(`"${subject}"`);
      }
      expect(blockOf(ADMIN_PRINCIPAL)).not.toContain('deny');
      expect(blockOf('cp-it')).not.toContain('deny');
    });
  });
});
