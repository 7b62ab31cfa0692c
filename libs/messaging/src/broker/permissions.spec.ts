import { describe, expect, it } from '@jest/globals';
import { nodePermissions, servicePermissions } from './permissions.js';

describe('broker permissions', () => {
  it("gives a node no subject of another node and no wildcard over others' subjects", () => {
    const p = nodePermissions('cp-it');
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
