import { describe, expect, it } from '@jest/globals';
import { ownerOf, Subjects } from './subjects.js';

describe('subjects', () => {
  it('reads who sent a message from the per-principal subject that carried it', () => {
    expect(ownerOf(Subjects.submit('emlo-ne'))).toBe('emlo-ne');
    expect(ownerOf(Subjects.audit('cp-it'))).toBe('cp-it');
    expect(ownerOf(Subjects.audit('msx-router'))).toBe('msx-router');
  });

  it('puts every permission pattern over the subjects it stands for', () => {
    const under = (tree: string, subject: string) => subject.startsWith(tree.slice(0, -1));
    expect(under(Subjects.submitTree, Subjects.submit('cp-it'))).toBe(true);
    expect(under(Subjects.deliverTree, Subjects.deliver('cp-it'))).toBe(true);
    expect(under(Subjects.deadLetterTree, Subjects.deadLetter('router'))).toBe(true);
    expect(under(Subjects.checkpointTree, Subjects.checkpointAudit)).toBe(true);
    expect(under(Subjects.ledgerAll, Subjects.ledger('item', 'x'))).toBe(true);
    for (const query of Object.values(Subjects.auditQuery))
      expect(under(Subjects.auditQueryTree, query)).toBe(true);
    expect(Subjects.health('cp-it')).toBe('msx.health.cp-it');
  });
});
