/**
 * DTOs of the seven intelligence payloads of `proto/msx/v1/intel.proto` and their nested messages, in
 * their protobuf JSON shape. Required marks what an analyst must fill in for the item to be usable;
 * rules that span several fields live in payload-rules.ts. Nested classes come first.
 */
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';
import {
  DocumentFraudTypeSchema,
  DocumentTypeSchema,
  FinancialChannelSchema,
  InternetContentKindSchema,
  ModusOperandiCategorySchema,
  PositionSourceSchema,
  ReferralActionSchema,
  ReferralStatusSchema,
  VesselStatusSchema,
  VesselTypeSchema,
} from '../gen/msx/v1/intel_pb.js';
import { GeoPointDto, MoneyDto, PeriodDto, RouteSegmentDto } from './common.dto.js';
import {
  IsBic,
  IsCountryCode,
  IsE164,
  IsHttpUrl,
  IsIban,
  IsImoNumber,
  IsLanguageCode,
  IsMmsi,
  IsProtoEnum,
  IsRfc3339,
  IsSha256Hex,
  Required,
  UniqueValues,
} from './decorators.js';
import { List, Message, MessageList, OptionalString, TEXT, Text, TextList } from './fields.js';

/** List limits of the intel payloads. */
const MAX = {
  segments: 50,
  countries: 50,
  indicators: 100,
  accounts: 100,
  payments: 500,
  facilitators: 50,
  selectors: 100,
  /** People on one crossing or in one vehicle; the largest boats seen carried several hundred. */
  people: 5000,
  /** Documents of one kind found together. */
  documents: 10_000,
  url: 2048,
} as const;

/** msx.v1.RouteReport: at least one segment; everything else as far as known. */
export class RouteReportDto {
  @Required() @MessageList(() => RouteSegmentDto, MAX.segments) segments!: RouteSegmentDto[];
  @OptionalString() @Text(TEXT.name) departureArea?: string;
  @OptionalString() @IsCountryCode() departureCountry?: string;
  @IsOptional() @Message(() => PeriodDto) period?: PeriodDto;
  @IsOptional() @IsInt() @Min(0) @Max(MAX.people) peopleCarried?: number;
  @IsOptional() @Message(() => MoneyDto) pricePerPerson?: MoneyDto;
  @IsOptional() @List(MAX.countries, IsCountryCode({ each: true }), UniqueValues()) nationalities?: string[];
  @OptionalString() @Text(TEXT.narrative, true) narrative?: string;
}

/** msx.v1.ModusOperandiReport: a category and a title; indicators or a narrative (modusOperandiDescribed). */
export class ModusOperandiReportDto {
  @Required() @IsProtoEnum(ModusOperandiCategorySchema) category!: string;
  @Required() @Text(TEXT.title) title!: string;
  @IsOptional() @TextList(MAX.indicators, TEXT.item) indicators?: string[];
  @OptionalString() @Text(TEXT.narrative, true) narrative?: string;
  @IsOptional() @List(MAX.countries, IsCountryCode({ each: true }), UniqueValues()) countries?: string[];
  @OptionalString() @IsRfc3339() firstObservedAt?: string;
}

/** msx.v1.BankAccount: the IBAN identifies the account; BIC and role help. */
export class BankAccountDto {
  @Required() @IsIban() iban!: string;
  @OptionalString() @IsBic() bic?: string;
  @OptionalString() @Text(TEXT.name) role?: string;
}

/** msx.v1.Payment: at least the amount. */
export class PaymentDto {
  @Required() @Message(() => MoneyDto) amount!: MoneyDto;
  @OptionalString() @IsRfc3339() executedAt?: string;
  @OptionalString() @IsCountryCode() originCountry?: string;
  @OptionalString() @IsCountryCode() destinationCountry?: string;
  @OptionalString() @Text(TEXT.code) reference?: string;
}

/** msx.v1.FinancialLead: a channel, and something to follow (financialLeadSubstance). */
export class FinancialLeadDto {
  @Required() @IsProtoEnum(FinancialChannelSchema) channel!: string;
  @IsOptional() @MessageList(() => BankAccountDto, MAX.accounts) accounts?: BankAccountDto[];
  @IsOptional() @MessageList(() => PaymentDto, MAX.payments) payments?: PaymentDto[];
  @IsOptional() @Message(() => MoneyDto) estimatedTotal?: MoneyDto;
  @OptionalString() @Text(TEXT.code) fiuReference?: string;
  @IsOptional() @IsBoolean() assetRecoveryRequested?: boolean;
  @OptionalString() @Text(TEXT.narrative, true) narrative?: string;
}

/** msx.v1.VesselPosition: a position is worth nothing without where and when. */
export class VesselPositionDto {
  @Required() @Message(() => GeoPointDto) point!: GeoPointDto;
  @Required() @IsRfc3339() observedAt!: string;
  @IsOptional() @IsProtoEnum(PositionSourceSchema) source?: string;
}

/** msx.v1.SuspectVesselReport: IMO number, MMSI or name identifies the vessel (vesselIdentified). */
export class SuspectVesselReportDto {
  @OptionalString() @IsImoNumber() imoNumber?: string;
  @OptionalString() @IsMmsi() mmsi?: string;
  @OptionalString() @Text(TEXT.name) name?: string;
  @OptionalString() @IsCountryCode() flag?: string;
  @IsOptional() @IsProtoEnum(VesselTypeSchema) type?: string;
  @IsOptional() @IsProtoEnum(VesselStatusSchema) status?: string;
  @IsOptional() @TextList(MAX.indicators, TEXT.item) riskIndicators?: string[];
  @IsOptional() @Message(() => VesselPositionDto) lastPosition?: VesselPositionDto;
  @OptionalString() @Text(TEXT.narrative, true) narrative?: string;
}

/** msx.v1.DocumentFraudReport: what document, whose, what fraud, where and when it was detected. */
export class DocumentFraudReportDto {
  @Required() @IsProtoEnum(DocumentTypeSchema) documentType!: string;
  @Required() @IsCountryCode() issuingCountry!: string;
  @Required() @IsProtoEnum(DocumentFraudTypeSchema) fraudType!: string;
  @OptionalString() @Text(TEXT.name) detectionPlace?: string;
  @Required() @IsCountryCode() detectionCountry!: string;
  @Required() @IsRfc3339() detectedAt!: string;
  @IsOptional() @TextList(MAX.indicators, TEXT.item) features?: string[];
  @IsOptional() @IsInt() @Min(0) @Max(MAX.documents) quantity?: number;
}

/** msx.v1.InternetContentReferral: the URL, what it is and what is asked; evidence for removal. */
export class InternetContentReferralDto {
  @Required() @Text(MAX.url) @IsHttpUrl() url!: string;
  @OptionalString() @Text(TEXT.name) platform?: string;
  @OptionalString() @IsLanguageCode() language?: string;
  @Required() @IsProtoEnum(InternetContentKindSchema) kind!: string;
  @OptionalString() @IsSha256Hex() evidenceSha256?: string;
  @OptionalString() @IsRfc3339() capturedAt?: string;
  @Required() @IsProtoEnum(ReferralActionSchema) requestedAction!: string;
  @IsOptional() @IsProtoEnum(ReferralStatusSchema) status?: string;
}

/** msx.v1.FacilitatorDescription: at least the facilitator's role. */
export class FacilitatorDescriptionDto {
  @Required() @Text(TEXT.name) role!: string;
  @OptionalString() @IsCountryCode() nationality?: string;
  @OptionalString() @Text(TEXT.statement, true) description?: string;
}

/** msx.v1.DebriefingSelectors: values to cross-check, each in its canonical format. */
export class DebriefingSelectorsDto {
  @IsOptional() @List(MAX.selectors, IsE164({ each: true }), UniqueValues()) phoneNumbers?: string[];
  @IsOptional() @List(MAX.selectors, IsIban({ each: true }), UniqueValues()) ibans?: string[];
  @IsOptional() @List(MAX.selectors, IsImoNumber({ each: true }), UniqueValues()) vesselImoNumbers?: string[];
  @IsOptional() @TextList(MAX.selectors, TEXT.name) vesselNames?: string[];
}

/** msx.v1.DebriefingReport: where and when the debriefing took place; never the migrant's name. */
export class DebriefingReportDto {
  @Required() @Text(TEXT.name) hotspot!: string;
  @Required() @IsCountryCode() hotspotCountry!: string;
  @Required() @IsRfc3339() debriefedAt!: string;
  @IsOptional() @MessageList(() => RouteSegmentDto, MAX.segments) routeTaken?: RouteSegmentDto[];
  @IsOptional() @Message(() => MoneyDto) pricePaid?: MoneyDto;
  @IsOptional()
  @MessageList(() => FacilitatorDescriptionDto, MAX.facilitators)
  facilitators?: FacilitatorDescriptionDto[];
  @IsOptional() @Message(() => DebriefingSelectorsDto) selectors?: DebriefingSelectorsDto;
  @OptionalString() @IsCountryCode() nationality?: string;
  @OptionalString() @Text(TEXT.narrative, true) narrative?: string;
}
