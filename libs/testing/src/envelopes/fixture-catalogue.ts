/** Every valid-envelope factory by the payload it carries: one per member of `oneof payload`. */
import {
  validAcknowledgementEnvelope,
  validAnalysisProductEnvelope,
  validBlindAnswerEnvelope,
  validBlindIndexUpdateEnvelope,
  validBlindQueryEnvelope,
  validBlindQueryNoticeEnvelope,
  validCrossCheckRequestEnvelope,
  validDeliveryReceiptEnvelope,
  validErasureReceiptEnvelope,
  validHitNoticeEnvelope,
  validRecallEnvelope,
  validShareDecisionEnvelope,
  validShareRequestEnvelope,
  validVesselAlertEnvelope,
} from './control-fixtures.js';
import type { EnvelopeJson, PayloadType } from '#contracts';
import {
  validDebriefingReportEnvelope,
  validDocumentFraudReportEnvelope,
  validFinancialLeadEnvelope,
  validInternetContentReferralEnvelope,
  validModusOperandiReportEnvelope,
  validRouteReportEnvelope,
  validSuspectVesselReportEnvelope,
} from './intel-fixtures.js';

/** A factory of valid envelopes; `overrides` replaces top-level fields. */
export type EnvelopeFactory = (overrides?: Partial<EnvelopeJson>) => EnvelopeJson;

/** One valid-envelope factory per payload, keyed by the payload's JSON name. */
export const VALID_ENVELOPE_FACTORIES: Readonly<Record<PayloadType, EnvelopeFactory>> = {
  routeReport: validRouteReportEnvelope,
  modusOperandiReport: validModusOperandiReportEnvelope,
  financialLead: validFinancialLeadEnvelope,
  suspectVesselReport: validSuspectVesselReportEnvelope,
  documentFraudReport: validDocumentFraudReportEnvelope,
  internetContentReferral: validInternetContentReferralEnvelope,
  debriefingReport: validDebriefingReportEnvelope,
  deliveryReceipt: validDeliveryReceiptEnvelope,
  acknowledgement: validAcknowledgementEnvelope,
  shareRequest: validShareRequestEnvelope,
  shareDecision: validShareDecisionEnvelope,
  recall: validRecallEnvelope,
  erasureReceipt: validErasureReceiptEnvelope,
  vesselAlert: validVesselAlertEnvelope,
  analysisProduct: validAnalysisProductEnvelope,
  crossCheckRequest: validCrossCheckRequestEnvelope,
  hitNotice: validHitNoticeEnvelope,
  blindIndexUpdate: validBlindIndexUpdateEnvelope,
  blindQuery: validBlindQueryEnvelope,
  blindAnswer: validBlindAnswerEnvelope,
  blindQueryNotice: validBlindQueryNoticeEnvelope,
};
