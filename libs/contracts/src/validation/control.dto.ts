/**
 * DTOs of the control messages of `proto/msx/v1/control.proto`, in their protobuf JSON shape. Message
 * ids are UUIDs and node ids are node ids; rules that span several fields live in payload-rules.ts.
 */
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';
import { SelectorKindSchema } from '../gen/msx/v1/common_pb.js';
import {
  AlertLevelSchema,
  AnalysisProductKindSchema,
  DecisionOutcomeSchema,
  RecallReasonSchema,
} from '../gen/msx/v1/control_pb.js';
import { SelectorDto } from './common.dto.js';
import {
  IsBlindToken,
  IsImoNumber,
  IsMatchKeyId,
  IsMmsi,
  IsNodeId,
  IsProtoEnum,
  IsRfc3339,
  IsSha256Hex,
  IsUuid,
  Required,
  UniqueValues,
} from './decorators.js';
import { List, Message, MessageList, OptionalString, TEXT, Text, TextList } from './fields.js';
import { RULE } from './rule-names.js';

/** List limits of the control messages. */
const MAX = {
  /** One receipt covers every candidate recipient of one message. */
  decisions: 500,
  recipients: 100,
  messageIds: 500,
  selectors: 100,
  /** A node's copies of one item and the records it derived from them (more are summed up in the last). */
  erased: 500,
  /** A vessel's risk score, and one criterion's points, are at most this. */
  riskScore: 1_000,
  criteria: 20,
  /** Tokens of one blind query: a case's selectors, not a bulk trawl. */
  queryTokens: 64,
  /** Tokens of one index update: what a node adds or removes at once. */
  indexTokens: 1_000,
  /** Holders named for one token. */
  holders: 100,
} as const;

/** msx.v1.RecipientDecision: which node, what happened; a withheld one names its rule (withheldNamesRule). */
export class RecipientDecisionDto {
  @Required() @IsNodeId() recipient!: string;
  @Required() @IsProtoEnum(DecisionOutcomeSchema) outcome!: string;
  @OptionalString() @Text(TEXT.code) rule?: string;
  @OptionalString() @Text(TEXT.statement) reason?: string;
}

/** msx.v1.DeliveryReceipt. */
export class DeliveryReceiptDto {
  @Required() @IsUuid() messageId!: string;
  @IsOptional() @MessageList(() => RecipientDecisionDto, MAX.decisions) decisions?: RecipientDecisionDto[];
  @OptionalString() @Text(TEXT.code) refusedRule?: string;
  @OptionalString() @Text(TEXT.statement) refusedReason?: string;
}

/** msx.v1.Acknowledgement. */
export class AcknowledgementDto {
  @Required() @IsUuid() messageId!: string;
  @OptionalString() @IsRfc3339() receivedAt?: string;
}

/** msx.v1.ShareRequest: the originator decides on named nodes and a stated justification. */
export class ShareRequestDto {
  @Required() @IsUuid() messageId!: string;
  @Required()
  @List(MAX.recipients, IsNodeId({ each: true }), UniqueValues(RULE.uniqueRecipients))
  proposedRecipients!: string[];
  @Required() @Text(TEXT.statement, true) justification!: string;
}

/** msx.v1.ShareDecision; refusal needs a reason, a grant needs recipients (shareDecisionCoherent). */
export class ShareDecisionDto {
  @Required() @IsUuid() requestId!: string;
  @Required() @IsUuid() messageId!: string;
  @IsOptional() @IsBoolean() granted?: boolean;
  @OptionalString() @Text(TEXT.statement, true) reason?: string;
  @IsOptional()
  @List(MAX.recipients, IsNodeId({ each: true }), UniqueValues(RULE.uniqueRecipients))
  grantedRecipients?: string[];
  @OptionalString() @IsRfc3339() validUntil?: string;
}

/** msx.v1.Recall: which message and why. */
export class RecallDto {
  @Required() @IsUuid() messageId!: string;
  @Required() @IsProtoEnum(RecallReasonSchema) reason!: string;
  @OptionalString() @Text(TEXT.statement, true) explanation?: string;
}

/** msx.v1.ErasureReceipt: the erasure time and what was erased are what the originator and auditors need. */
export class ErasureReceiptDto {
  @Required() @IsUuid() messageId!: string;
  @OptionalString() @IsUuid() recallId?: string;
  @Required() @IsRfc3339() erasedAt!: string;
  @IsOptional() @TextList(MAX.erased, TEXT.item) erased?: string[];
}

/** msx.v1.RiskCriterion: a named criterion, its points, what fired it. */
export class RiskCriterionDto {
  @Required() @Text(TEXT.name) name!: string;
  @Required() @IsInt() @Min(1) @Max(MAX.riskScore) points!: number;
  @Required() @Text(TEXT.statement, true) evidence!: string;
}

/** msx.v1.VesselAlert: a vessel (vesselIdentified), a level and the reason for the alert. */
export class VesselAlertDto {
  @OptionalString() @IsImoNumber() imoNumber?: string;
  @OptionalString() @IsMmsi() mmsi?: string;
  @OptionalString() @Text(TEXT.name) vesselName?: string;
  @Required() @IsProtoEnum(AlertLevelSchema) level!: string;
  @Required() @Text(TEXT.statement, true) reason!: string;
  @IsOptional() @List(MAX.messageIds, IsUuid({ each: true }), UniqueValues()) relatedMessageIds?: string[];
  @IsOptional() @IsInt() @Min(0) @Max(MAX.riskScore) riskScore?: number;
  @IsOptional() @MessageList(() => RiskCriterionDto, MAX.criteria) criteria?: RiskCriterionDto[];
}

/** msx.v1.AnalysisProduct: a kind and a title; statistics are aggregated (statisticsAggregated). */
export class AnalysisProductDto {
  @Required() @IsProtoEnum(AnalysisProductKindSchema) kind!: string;
  @Required() @Text(TEXT.title) title!: string;
  @OptionalString() @Text(TEXT.narrative, true) summary?: string;
  @IsOptional() @List(MAX.messageIds, IsUuid({ each: true }), UniqueValues()) sourceMessageIds?: string[];
  @IsOptional() @IsBoolean() aggregated?: boolean;
  @OptionalString() @IsSha256Hex() documentSha256?: string;
}

/** msx.v1.CrossCheckRequest: selectors, and the purpose that justifies checking them. */
export class CrossCheckRequestDto {
  @Required() @MessageList(() => SelectorDto, MAX.selectors) selectors!: SelectorDto[];
  @Required() @Text(TEXT.statement, true) purpose!: string;
}

/** msx.v1.HitNotice: which request, which selector matched. */
export class HitNoticeDto {
  @Required() @IsUuid() requestId!: string;
  @Required() @Message(() => SelectorDto) selector!: SelectorDto;
  @IsOptional() @List(MAX.messageIds, IsUuid({ each: true }), UniqueValues()) matchingMessageIds?: string[];
  /** One per matching item (holderPerMatch); a party may hold several of them, so not unique. */
  @IsOptional() @List(MAX.messageIds, IsNodeId({ each: true })) holders?: string[];
}

/** msx.v1.BlindToken: a selector's kind and its keyed hash, never its value. */
export class BlindTokenDto {
  @Required() @IsProtoEnum(SelectorKindSchema) kind!: string;
  @Required() @IsBlindToken() token!: string;
}

/** msx.v1.BlindIndexUpdate: tokens a node now holds or no longer holds, made with one key. */
export class BlindIndexUpdateDto {
  @Required() @IsMatchKeyId() keyId!: string;
  @IsOptional() @MessageList(() => BlindTokenDto, MAX.indexTokens) added?: BlindTokenDto[];
  @IsOptional() @MessageList(() => BlindTokenDto, MAX.indexTokens) removed?: BlindTokenDto[];
}

/** msx.v1.BlindQuery: tokens to look up, and why. */
export class BlindQueryDto {
  @Required() @IsMatchKeyId() keyId!: string;
  @Required() @MessageList(() => BlindTokenDto, MAX.queryTokens) tokens!: BlindTokenDto[];
  @Required() @Text(TEXT.statement, true) purpose!: string;
}

/** msx.v1.BlindVerdict: hit or no hit for one token, with the holders to contact. */
export class BlindVerdictDto {
  @Required() @Message(() => BlindTokenDto) token!: BlindTokenDto;
  @IsOptional() @IsBoolean() hit?: boolean;
  @IsOptional() @List(MAX.holders, IsNodeId({ each: true }), UniqueValues()) holders?: string[];
}

/** msx.v1.BlindAnswer: the verdicts on a query, or why it was refused. */
export class BlindAnswerDto {
  @Required() @IsUuid() queryId!: string;
  @IsOptional() @MessageList(() => BlindVerdictDto, MAX.queryTokens) verdicts?: BlindVerdictDto[];
  @OptionalString() @Text(TEXT.code) refusedRule?: string;
  @OptionalString() @Text(TEXT.statement) refusedReason?: string;
}

/** msx.v1.BlindQueryNotice: who asked about the holder's tokens, and why. */
export class BlindQueryNoticeDto {
  @Required() @IsUuid() queryId!: string;
  @Required() @IsNodeId() askedBy!: string;
  @Required() @Text(TEXT.statement, true) purpose!: string;
  @Required() @MessageList(() => BlindTokenDto, MAX.queryTokens) tokens!: BlindTokenDto[];
}
