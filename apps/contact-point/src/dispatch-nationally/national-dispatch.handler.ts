import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditOperation, type PayloadType } from '#contracts';
import { NODE_ID, type InboxHandler, type InboxItem, type NodeOperation } from '#node-app';

/**
 * The national authority that takes each type at a member state's contact point; null for what stays with
 * the contact point (receipts, consent, recalls, erasure receipts, hit notices). Every type is listed, so a
 * new one needs a decision here.
 */
export const NATIONAL_AUTHORITY: Record<PayloadType, string | null> = {
  routeReport: 'border-police',
  modusOperandiReport: 'border-police',
  debriefingReport: 'border-police',
  financialLead: 'financial-intelligence-unit',
  suspectVesselReport: 'coast-guard',
  vesselAlert: 'coast-guard',
  documentFraudReport: 'document-experts',
  internetContentReferral: 'cybercrime-unit',
  analysisProduct: 'analysis-unit',
  crossCheckRequest: 'analysis-unit',
  hitNotice: null,
  deliveryReceipt: null,
  acknowledgement: null,
  shareRequest: null,
  shareDecision: null,
  recall: null,
  erasureReceipt: null,
};

/** Which national authorities an item goes to; control messages stay with the contact point. */
export function authoritiesFor(type: PayloadType | undefined): string[] {
  const authority = type ? NATIONAL_AUTHORITY[type] : undefined;
  return authority ? [authority] : [];
}

/**
 * A contact point is its member state's hub: it dispatches what it receives to the national authority that
 * handles the type, and each dispatch is audited.
 */
@Injectable()
export class NationalDispatchHandler implements InboxHandler {
  private readonly logger = new Logger('NationalDispatch');

  constructor(@Inject(NODE_ID) private readonly nodeId: string) {}

  handle({ envelope }: InboxItem): Promise<NodeOperation[]> {
    const authorities = authoritiesFor(envelope.payload.case);
    for (const authority of authorities) {
      this.logger.log(`${this.nodeId} dispatches ${envelope.payload.case} ${envelope.id} to ${authority}`);
    }
    return Promise.resolve(
      authorities.map((authority) => ({
        operation: AuditOperation.DISPATCHED,
        key: `dispatch:${authority}`,
        detail: { authority },
      })),
    );
  }
}
