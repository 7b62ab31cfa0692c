import { describe, expect, it } from '@jest/globals';
import { actingOfficer, checkOfficerOfNode, OfficerNotOfNodeError } from './officer-binding.js';

describe('checkOfficerOfNode', () => {
  it("returns an officer of the token's node", () => {
    expect(checkOfficerOfNode('emlo-ne.officer-17', 'emlo-ne', 'author')).toBe('emlo-ne.officer-17');
  });

  it.each([
    'cp-it.officer-9',
    'edps.auditor-1',
    'msx-router',
    'eml\u043E-ne.officer-1',
    'emlo-ne.Officer',
    42,
  ])('refuses %j for emlo-ne, naming the field and the rule', (officer) => {
    let thrown: unknown;
    try {
      checkOfficerOfNode(officer, 'emlo-ne', 'x-msx-officer');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(OfficerNotOfNodeError);
    expect(thrown).toMatchObject({
      code: 'GATEWAY.OFFICER_NOT_OF_NODE',
      violations: [{ field: 'x-msx-officer', rule: 'officerNotOfNode' }],
    });
  });

  it('keeps the id claimed only when it has the ASCII form of an officer id, and never repeats it in the message', () => {
    const ascii = new OfficerNotOfNodeError('author', 'emlo-ne', 'cp-it.officer-9');
    expect(ascii.claimedOfficer).toBe('cp-it.officer-9');
    expect(ascii.message).not.toContain('cp-it.officer-9');
    for (const other of [
      'eml\u043E-ne.officer-1',
      'Mario Rossi',
      '+393331234567',
      'msx-router',
      'x'.repeat(80),
    ]) {
      const err = new OfficerNotOfNodeError('author', 'emlo-ne', other);
      expect(err.claimedOfficer).toBeUndefined();
      expect(JSON.stringify([err.message, err.violations])).not.toContain(other);
    }
  });
});

describe('actingOfficer', () => {
  it('is the holder of a personal credential, named or left out', () => {
    for (const named of [undefined, '', 'cp-it.officer-3'])
      expect(actingOfficer(named, 'cp-it', 'author', 'cp-it.officer-3')).toBe('cp-it.officer-3');
  });

  it.each(['cp-it.officer-4', 'CP-IT.officer-3', 'emlo-ne.officer-3', 42])(
    'refuses %j for the holder cp-it.officer-3, naming the field and the rule',
    (named) => {
      expect(() => actingOfficer(named, 'cp-it', 'x-msx-officer', 'cp-it.officer-3')).toThrow(
        expect.objectContaining({
          code: 'GATEWAY.OFFICER_NOT_OF_NODE',
          violations: [
            expect.objectContaining({ field: 'x-msx-officer', rule: 'officerNotCredentialHolder' }),
          ],
        }),
      );
    },
  );

  it("is the officer a system credential's request names, who must be of its node", () => {
    expect(actingOfficer('cp-it.officer-4', 'cp-it', 'author', undefined)).toBe('cp-it.officer-4');
    expect(actingOfficer(undefined, 'cp-it', 'author', undefined)).toBeUndefined();
    expect(() => actingOfficer('emlo-ne.officer-1', 'cp-it', 'author', undefined)).toThrow(
      OfficerNotOfNodeError,
    );
  });
});
