import { describe, expect, it } from '@jest/globals';
import { ADMIN_PRINCIPAL, SERVICE_PRINCIPALS } from '#contracts';
import {
  adminPermissions,
  CORE_SERVICES,
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
});
