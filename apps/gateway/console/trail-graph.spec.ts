import { describe, expect, it } from '@jest/globals';
import type { AuditRecord } from './api.js';
import { trailGraph } from './trail-graph.js';

const ID = '019a9f3c-1d00-7000-8000-000000000001';
const ACK = '019a9f3c-2e00-7000-8000-000000000002';

let seq = 0;
const row = (r: Partial<AuditRecord> & Pick<AuditRecord, 'operation' | 'actorNode'>): AuditRecord => ({
  seq: String(++seq),
  eventId: `e${seq}`,
  publisher: null,
  occurredAt: '2026-11-20T10:00:00Z',
  recordedAt: '2026-11-20T10:00:00Z',
  actorPerson: null,
  counterpartNode: null,
  messageId: ID,
  messageType: 'routeReport',
  handlingCode: null,
  tlp: null,
  messageSha256: null,
  rule: null,
  justification: null,
  detail: {},
  correlationId: null,
  ...r,
});

/** A route report from emlo-ne: delivered to cp-it (which read it, dispatched it and acknowledged it), withheld from a partner. */
const TRAIL = [
  row({ operation: 'submitted', actorNode: 'emlo-ne', actorPerson: 'emlo-ne.officer-17' }),
  row({
    operation: 'delivered',
    actorNode: 'emlo-ne',
    counterpartNode: 'cp-it',
    rule: 'POLICY.NAMED_RECIPIENT',
  }),
  row({ operation: 'delivered', actorNode: 'emlo-ne', counterpartNode: 'jot-mare' }),
  row({
    operation: 'withheld',
    actorNode: 'emlo-ne',
    counterpartNode: 'afic-partner-ne',
    rule: 'POLICY.THIRD_COUNTRY_NOT_RELEASABLE',
  }),
  row({ operation: 'received', actorNode: 'cp-it', counterpartNode: 'emlo-ne' }),
  row({
    operation: 'consulted',
    actorNode: 'cp-it',
    actorPerson: 'cp-it.officer-5',
    counterpartNode: 'emlo-ne',
    rule: 'GATEWAY.INBOX_READ',
  }),
  row({ operation: 'dispatched', actorNode: 'cp-it', counterpartNode: 'cp-it/border-police' }),
  row({ operation: 'submitted', actorNode: 'cp-it', messageId: ACK, messageType: 'acknowledgement' }),
  row({
    operation: 'delivered',
    actorNode: 'cp-it',
    counterpartNode: 'emlo-ne',
    messageId: ACK,
    messageType: 'acknowledgement',
  }),
  row({
    operation: 'consulted',
    actorNode: 'msx-gateway',
    actorPerson: 'edps.auditor-1',
    rule: 'AUDIT.CONSULTED',
  }),
];

describe('trailGraph', () => {
  const graph = trailGraph(ID.toUpperCase(), TRAIL);

  it('draws an edge per pair of parties, labelled with what went along it in order', () => {
    expect(graph.originator).toBe('emlo-ne');
    expect(graph.edges).toEqual([
      {
        from: 'emlo-ne',
        to: 'cp-it',
        kind: 'shared',
        labels: ['delivered', 'received', 'read by cp-it.officer-5'],
      },
      { from: 'emlo-ne', to: 'jot-mare', kind: 'shared', labels: ['delivered'] },
      {
        from: 'emlo-ne',
        to: 'afic-partner-ne',
        kind: 'withheld',
        labels: ['withheld: POLICY.THIRD_COUNTRY_NOT_RELEASABLE'],
      },
      { from: 'cp-it', to: 'cp-it/border-police', kind: 'shared', labels: ['dispatched'] },
      { from: 'cp-it', to: 'emlo-ne', kind: 'shared', labels: ['acknowledgement delivered'] },
    ]);
  });

  it('places the originator first, then its recipients, the withheld last, then what they passed on', () => {
    expect(graph.parties).toEqual([
      { id: 'emlo-ne', kind: 'originator', column: 0, row: 0 },
      { id: 'cp-it', kind: 'recipient', column: 1, row: 0 },
      { id: 'jot-mare', kind: 'recipient', column: 1, row: 1 },
      { id: 'afic-partner-ne', kind: 'withheld', column: 1, row: 2 },
      { id: 'cp-it/border-police', kind: 'authority', column: 2, row: 0 },
    ]);
  });

  it("counts what it does not draw: the acknowledgement's own submission and an auditor's read", () => {
    expect(graph.notDrawn).toBe(2);
  });

  it('draws a trail whose submission is not in it from the parties that sent something', () => {
    const partial = trailGraph(ID, TRAIL.slice(4, 6));
    expect(partial.originator).toBeUndefined();
    expect(partial.parties.map((p) => [p.id, p.column])).toEqual([
      ['emlo-ne', 0],
      ['cp-it', 1],
    ]);
  });

  it('draws nothing for an empty trail', () => {
    expect(trailGraph(ID, [])).toEqual({ originator: undefined, parties: [], edges: [], notDrawn: 0 });
  });
});
