/**
 * DTO of msx.v1.Envelope in its protobuf JSON shape: the `oneof payload` members are plain optional
 * properties; `exactlyOnePayload` demands exactly one. Envelope-wide coherence lives in envelope-rules.ts.
 */
import { IsBoolean, IsOptional } from 'class-validator';
import {
  HandlingCodeSchema,
  PurposeSchema,
  SmugglingRouteSchema,
  TlpSchema,
} from '../gen/msx/v1/common_pb.js';
import { EvaluationDto, ReleasabilityDto } from './common.dto.js';
import {
  AcknowledgementDto,
  BlindAnswerDto,
  BlindIndexUpdateDto,
  BlindQueryDto,
  BlindQueryNoticeDto,
  AnalysisProductDto,
  CrossCheckRequestDto,
  DeliveryReceiptDto,
  ErasureReceiptDto,
  HitNoticeDto,
  RecallDto,
  ShareDecisionDto,
  ShareRequestDto,
  VesselAlertDto,
} from './control.dto.js';
import {
  IsNodeId,
  IsOfficerId,
  IsProtoEnum,
  IsRfc3339,
  IsUuid,
  Required,
  UniqueValues,
} from './decorators.js';
import { List, Message, OptionalString, TEXT, Text } from './fields.js';
import {
  DebriefingReportDto,
  DocumentFraudReportDto,
  FinancialLeadDto,
  InternetContentReferralDto,
  ModusOperandiReportDto,
  RouteReportDto,
  SuspectVesselReportDto,
} from './intel.dto.js';
import { RULE } from './rule-names.js';

/** Most explicitly named recipients of one message. */
export const MAX_RECIPIENTS = 100;
/** Most purposes one item names: each purpose once. */
export const MAX_PURPOSES = 6;

/** msx.v1.Envelope. */
export class EnvelopeDto {
  @Required() @IsUuid() id!: string;
  @OptionalString() @IsUuid() threadId?: string;
  @OptionalString() @IsUuid() inReplyTo?: string;
  @Required() @IsNodeId() sender!: string;
  @Required() @IsOfficerId() author!: string;
  @Required() @IsRfc3339() createdAt!: string;
  @IsOptional()
  @List(MAX_RECIPIENTS, IsNodeId({ each: true }), UniqueValues(RULE.uniqueRecipients))
  recipients?: string[];
  @IsOptional() @IsProtoEnum(SmugglingRouteSchema) route?: string;
  @Required() @IsProtoEnum(HandlingCodeSchema) handlingCode!: string;
  @OptionalString() @Text(TEXT.statement, true) handlingRestriction?: string;
  @Required() @IsProtoEnum(TlpSchema) tlp!: string;
  @IsOptional() @Message(() => EvaluationDto) evaluation?: EvaluationDto;
  @Required() @Message(() => ReleasabilityDto) releasability!: ReleasabilityDto;
  @IsOptional() @IsBoolean() containsPersonalData?: boolean;
  @OptionalString() @Text(TEXT.statement, true) purpose?: string;
  @OptionalString() @IsRfc3339() expiresAt?: string;
  @OptionalString() @IsUuid() consentRef?: string;
  @IsOptional() @IsBoolean() namedRecipientsOnly?: boolean;
  @IsOptional()
  @List(MAX_PURPOSES, IsProtoEnum(PurposeSchema, { each: true }), UniqueValues())
  purposes?: string[];

  // oneof payload: intelligence
  @IsOptional() @Message(() => RouteReportDto) routeReport?: RouteReportDto;
  @IsOptional() @Message(() => ModusOperandiReportDto) modusOperandiReport?: ModusOperandiReportDto;
  @IsOptional() @Message(() => FinancialLeadDto) financialLead?: FinancialLeadDto;
  @IsOptional() @Message(() => SuspectVesselReportDto) suspectVesselReport?: SuspectVesselReportDto;
  @IsOptional() @Message(() => DocumentFraudReportDto) documentFraudReport?: DocumentFraudReportDto;
  @IsOptional()
  @Message(() => InternetContentReferralDto)
  internetContentReferral?: InternetContentReferralDto;
  @IsOptional() @Message(() => DebriefingReportDto) debriefingReport?: DebriefingReportDto;

  // oneof payload: control
  @IsOptional() @Message(() => DeliveryReceiptDto) deliveryReceipt?: DeliveryReceiptDto;
  @IsOptional() @Message(() => AcknowledgementDto) acknowledgement?: AcknowledgementDto;
  @IsOptional() @Message(() => ShareRequestDto) shareRequest?: ShareRequestDto;
  @IsOptional() @Message(() => ShareDecisionDto) shareDecision?: ShareDecisionDto;
  @IsOptional() @Message(() => RecallDto) recall?: RecallDto;
  @IsOptional() @Message(() => ErasureReceiptDto) erasureReceipt?: ErasureReceiptDto;
  @IsOptional() @Message(() => VesselAlertDto) vesselAlert?: VesselAlertDto;
  @IsOptional() @Message(() => AnalysisProductDto) analysisProduct?: AnalysisProductDto;
  @IsOptional() @Message(() => CrossCheckRequestDto) crossCheckRequest?: CrossCheckRequestDto;
  @IsOptional() @Message(() => HitNoticeDto) hitNotice?: HitNoticeDto;
  @IsOptional() @Message(() => BlindIndexUpdateDto) blindIndexUpdate?: BlindIndexUpdateDto;
  @IsOptional() @Message(() => BlindQueryDto) blindQuery?: BlindQueryDto;
  @IsOptional() @Message(() => BlindAnswerDto) blindAnswer?: BlindAnswerDto;
  @IsOptional() @Message(() => BlindQueryNoticeDto) blindQueryNotice?: BlindQueryNoticeDto;
}

/** An envelope in protobuf JSON, typed by its DTO (DTOs have no methods, so plain objects fit). */
export type EnvelopeJson = EnvelopeDto;
