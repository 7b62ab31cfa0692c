import { describe, expect, it } from '@jest/globals';
import { checkOfficerOfNode, OfficerNotOfNodeError } from './officer-binding.js';

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
