import { describe, expect, it } from '@jest/globals';
import { AuditOperation, newAuditEvent } from '#contracts';
import { checkAuditPublisher, eventsToRecord } from './record-event.handler.js';

const event = (actorNode: string) =>
  newAuditEvent({
    eventId: '0193a1b2-0000-5000-8000-000000000001',
    operation: AuditOperation.RECEIVED,
    actorNode,
  });

describe('who may record an audit event', () => {
  it('accepts a node recording its own operation', () => {
    expect(() => checkAuditPublisher(event('cp-it'), 'cp-it')).not.toThrow();
  });

  it('accepts the router and the gateway recording operations of the nodes they serve', () => {
    expect(() => checkAuditPublisher(event('emlo-ne'), 'msx-router')).not.toThrow();
    expect(() => checkAuditPublisher(event('emlo-ne'), 'msx-gateway')).not.toThrow();
  });

  it('records every event of a message under the publisher of its subject', () => {
    const [byEmlo, byCpIt] = [event('emlo-ne'), event('cp-it')];
    expect(eventsToRecord('msx.audit.msx-router', [byEmlo, byCpIt])).toEqual([
      { publisher: 'msx-router', event: byEmlo },
      { publisher: 'msx-router', event: byCpIt },
    ]);
    expect(eventsToRecord('msx.audit.cp-it', [byCpIt])).toEqual([{ publisher: 'cp-it', event: byCpIt }]);
  });

  it("refuses a whole message when a node's event in it names another node as actor", () => {
    expect(() => eventsToRecord('msx.audit.cp-gr', [event('cp-gr'), event('cp-it')])).toThrow(
      expect.objectContaining({ code: 'AUDIT.FORGED_ACTOR', retryable: false }),
    );
  });

  it("refuses a node recording another node's operation", () => {
    expect(() => checkAuditPublisher(event('jot-mare'), 'cp-it')).toThrow(
      expect.objectContaining({ code: 'AUDIT.FORGED_ACTOR', retryable: false }),
    );
  });
});
