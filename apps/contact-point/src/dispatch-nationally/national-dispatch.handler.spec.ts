import { describe, expect, it } from '@jest/globals';
import { create } from '@bufbuild/protobuf';
import { AuditOperation, EnvelopeSchema, FinancialLeadSchema } from '#contracts';
import { authoritiesFor, NationalDispatchHandler } from './national-dispatch.handler.js';

describe('national dispatch at a contact point', () => {
  it('sends each intelligence type to the authority that handles it', () => {
    expect(authoritiesFor('financialLead')).toEqual(['financial-intelligence-unit']);
    expect(authoritiesFor('suspectVesselReport')).toEqual(['coast-guard']);
    expect(authoritiesFor('internetContentReferral')).toEqual(['cybercrime-unit']);
  });

  it('keeps control messages at the contact point', () => {
    expect(authoritiesFor('deliveryReceipt')).toEqual([]);
    expect(authoritiesFor(undefined)).toEqual([]);
  });

  it('reports each dispatch as an auditable operation', async () => {
    const envelope = create(EnvelopeSchema, {
      id: '0193a1b2-0000-7000-8000-000000000001',
      payload: { case: 'financialLead', value: create(FinancialLeadSchema, {}) },
    });
    const ops = await new NationalDispatchHandler('cp-it').handle({
      envelope,
      itemId: envelope.id,
      sha256: '',
      correlationId: '',
    });
    expect(ops).toEqual([
      {
        operation: AuditOperation.DISPATCHED,
        key: 'dispatch:financial-intelligence-unit',
        detail: { authority: 'financial-intelligence-unit' },
      },
    ]);
  });
});
