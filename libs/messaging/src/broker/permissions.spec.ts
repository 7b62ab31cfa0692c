import { describe, expect, it } from '@jest/globals';
import { partyPermissions, partyServices, servicePermissions } from './permissions.js';

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
      expect(servicePermissions(other).subscribe.some((s) => s.startsWith('msx.query'))).toBe(false);
    }
  });
});
