/**
 * DTOs of the shared messages of `proto/msx/v1/common.proto`, in their protobuf JSON shape. Classes are
 * declared before the classes that nest them (decorator metadata refers to them at definition time).
 */
import { IsNumber, IsOptional, Max, Min } from 'class-validator';
import {
  InformationAccuracySchema,
  ReleasabilityScopeSchema,
  SelectorKindSchema,
  SourceReliabilitySchema,
  TransportModeSchema,
} from '../gen/msx/v1/common_pb.js';
import {
  IsCountryCode,
  IsCurrencyCode,
  IsDecimalAmount,
  IsNotEuMemberState,
  IsProtoEnum,
  IsRfc3339,
  PeriodOrdered,
  Required,
  SelectorValueMatchesKind,
  UniqueValues,
} from './decorators.js';
import { List, OptionalString, TEXT, Text } from './fields.js';

/** Most third countries one item can be released to. */
const MAX_THIRD_COUNTRIES = 100;
const FINITE = { allowNaN: false, allowInfinity: false };
const NUMBER = { message: '$property must be a finite JSON number' };

/** msx.v1.Money: both parts are required once a sum is given. */
export class MoneyDto {
  @Required() @IsDecimalAmount() amount!: string;
  @Required() @IsCurrencyCode() currency!: string;
}

/** msx.v1.GeoPoint in WGS 84 degrees. Both optional: protobuf JSON leaves out 0 (equator, Greenwich). */
export class GeoPointDto {
  @IsOptional() @IsNumber(FINITE, NUMBER) @Min(-90) @Max(90) latitude?: number;
  @IsOptional() @IsNumber(FINITE, NUMBER) @Min(-180) @Max(180) longitude?: number;
}

/** msx.v1.Period: a start, and an end that is not before it. */
export class PeriodDto {
  @Required() @IsRfc3339() start!: string;
  @OptionalString() @IsRfc3339() @PeriodOrdered() end?: string;
}

/**
 * msx.v1.Evaluation (4x4). Both parts are optional here because control messages carry no evaluation;
 * the `evaluationRequired` rule demands both on intel payloads.
 */
export class EvaluationDto {
  @IsOptional() @IsProtoEnum(SourceReliabilitySchema) sourceReliability?: string;
  @IsOptional() @IsProtoEnum(InformationAccuracySchema) informationAccuracy?: string;
}

/** msx.v1.Releasability; how scope and third countries fit together is `releasabilityCoherent`. */
export class ReleasabilityDto {
  @Required() @IsProtoEnum(ReleasabilityScopeSchema) scope!: string;
  @IsOptional()
  @List(
    MAX_THIRD_COUNTRIES,
    IsCountryCode({ each: true }),
    IsNotEuMemberState({ each: true }),
    UniqueValues(),
  )
  thirdCountries?: string[];
}

/** msx.v1.RouteSegment: a leg needs at least the country it leaves and the country it reaches. */
export class RouteSegmentDto {
  @Required() @IsCountryCode() fromCountry!: string;
  @OptionalString() @Text(TEXT.name) fromPlace?: string;
  @Required() @IsCountryCode() toCountry!: string;
  @OptionalString() @Text(TEXT.name) toPlace?: string;
  @IsOptional() @IsProtoEnum(TransportModeSchema) mode?: string;
  @OptionalString() @Text(TEXT.name) conveyance?: string;
}

/** msx.v1.Selector: a kind and a value in the format of that kind. */
export class SelectorDto {
  @Required() @IsProtoEnum(SelectorKindSchema) kind!: string;
  @Required() @Text(TEXT.item) @SelectorValueMatchesKind() value!: string;
}
