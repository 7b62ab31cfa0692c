import { describe, expect, it } from '@jest/globals';
import { whoamiOf } from './whoami.js';

describe('whoamiOf', () => {
  it("names an issued credential's person, node, role and expiry", () => {
    expect(
      whoamiOf({
        role: 'officer',
        node: 'cp-it',
        person: 'cp-it.officer-5',
        credentialId: 'c1',
        expiresAt: new Date('2027-03-01T10:00:00Z'),
      }),
    ).toEqual({
      person: 'cp-it.officer-5',
      node: 'cp-it',
      role: 'officer',
      expiresAt: '2027-03-01T10:00:00.000Z',
    });
  });

  it("answers a node's configured system token with no person and no expiry", () => {
    expect(whoamiOf({ role: 'system', node: 'emlo-ne' })).toEqual({
      person: null,
      node: 'emlo-ne',
      role: 'system',
      expiresAt: null,
    });
  });
});
