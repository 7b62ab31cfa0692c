import { describe, expect, it } from '@jest/globals';
import { ScalarType, type DescField, type DescMessage } from '@bufbuild/protobuf';
import { getMetadataStorage } from 'class-validator';
import * as common from '../gen/msx/v1/common_pb.js';
import * as control from '../gen/msx/v1/control_pb.js';
import { EnvelopeSchema, file_msx_v1_envelope } from '../gen/msx/v1/envelope_pb.js';
import * as intel from '../gen/msx/v1/intel_pb.js';
import { PAYLOAD_TYPES } from '../payload-kinds.js';
import * as dto from './index.js';
import { VALID_ENVELOPE_FACTORIES } from '#testing';

/** A DTO class. */
type DtoClass = new () => object;

/** Each DTO next to the generated message it mirrors. */
const PAIRS: [DtoClass, DescMessage][] = [
  [dto.MoneyDto, common.MoneySchema],
  [dto.GeoPointDto, common.GeoPointSchema],
  [dto.PeriodDto, common.PeriodSchema],
  [dto.EvaluationDto, common.EvaluationSchema],
  [dto.ReleasabilityDto, common.ReleasabilitySchema],
  [dto.RouteSegmentDto, common.RouteSegmentSchema],
  [dto.SelectorDto, common.SelectorSchema],
  [dto.RouteReportDto, intel.RouteReportSchema],
  [dto.ModusOperandiReportDto, intel.ModusOperandiReportSchema],
  [dto.BankAccountDto, intel.BankAccountSchema],
  [dto.PaymentDto, intel.PaymentSchema],
  [dto.FinancialLeadDto, intel.FinancialLeadSchema],
  [dto.VesselPositionDto, intel.VesselPositionSchema],
  [dto.SuspectVesselReportDto, intel.SuspectVesselReportSchema],
  [dto.DocumentFraudReportDto, intel.DocumentFraudReportSchema],
  [dto.InternetContentReferralDto, intel.InternetContentReferralSchema],
  [dto.FacilitatorDescriptionDto, intel.FacilitatorDescriptionSchema],
  [dto.DebriefingSelectorsDto, intel.DebriefingSelectorsSchema],
  [dto.DebriefingReportDto, intel.DebriefingReportSchema],
  [dto.RecipientDecisionDto, control.RecipientDecisionSchema],
  [dto.DeliveryReceiptDto, control.DeliveryReceiptSchema],
  [dto.AcknowledgementDto, control.AcknowledgementSchema],
  [dto.ShareRequestDto, control.ShareRequestSchema],
  [dto.ShareDecisionDto, control.ShareDecisionSchema],
  [dto.RecallDto, control.RecallSchema],
  [dto.ErasureReceiptDto, control.ErasureReceiptSchema],
  [dto.VesselAlertDto, control.VesselAlertSchema],
  [dto.RiskCriterionDto, control.RiskCriterionSchema],
  [dto.AnalysisProductDto, control.AnalysisProductSchema],
  [dto.CrossCheckRequestDto, control.CrossCheckRequestSchema],
  [dto.HitNoticeDto, control.HitNoticeSchema],
  [dto.BlindTokenDto, control.BlindTokenSchema],
  [dto.BlindIndexUpdateDto, control.BlindIndexUpdateSchema],
  [dto.BlindQueryDto, control.BlindQuerySchema],
  [dto.BlindVerdictDto, control.BlindVerdictSchema],
  [dto.BlindAnswerDto, control.BlindAnswerSchema],
  [dto.BlindQueryNoticeDto, control.BlindQueryNoticeSchema],
  [dto.EnvelopeDto, EnvelopeSchema],
];

/** Constraint names per validated property of a DTO. */
function constraintsOf(target: DtoClass): Map<string, Set<string>> {
  const storage = getMetadataStorage();
  const byProperty = new Map<string, Set<string>>();
  for (const metadata of storage.getTargetValidationMetadatas(target, '', true, false)) {
    const names = byProperty.get(metadata.propertyName) ?? new Set<string>();
    if (metadata.constraintCls !== undefined) {
      for (const constraint of storage.getTargetValidatorConstraints(metadata.constraintCls)) {
        if (constraint.name !== undefined) names.add(constraint.name);
      }
    }
    byProperty.set(metadata.propertyName, names);
  }
  return byProperty;
}

/** The constraint that proves a DTO property has the JSON type of its proto field. */
function expectedConstraint(field: DescField): string {
  if (field.fieldKind === 'list') return 'isArray';
  if (field.fieldKind === 'enum') return 'protoEnum';
  if (field.fieldKind === 'message') {
    return field.message.typeName === 'google.protobuf.Timestamp' ? 'rfc3339' : 'jsonObject';
  }
  if (field.fieldKind === 'scalar')
    return field.scalar === ScalarType.BOOL ? 'isBoolean' : 'string-or-number';
  return 'unsupported';
}

describe('the DTOs mirror the proto', () => {
  it('covers every message of common, intel, control and envelope', () => {
    const covered = new Set(PAIRS.map(([, schema]) => schema.typeName));
    const files = [
      common.file_msx_v1_common,
      intel.file_msx_v1_intel,
      control.file_msx_v1_control,
      file_msx_v1_envelope,
    ];
    const all = files.flatMap((file) => file.messages.map((message) => message.typeName));
    expect(all.filter((name) => !covered.has(name))).toEqual([]);
  });

  it.each(PAIRS.map(([target, schema]) => [schema.typeName, target, schema] as const))(
    '%s: one DTO property per proto field, by JSON name, of the same JSON type',
    (_name, target, schema) => {
      const constraints = constraintsOf(target);
      expect([...constraints.keys()].sort()).toEqual(schema.fields.map((field) => field.jsonName).sort());
      for (const field of schema.fields) {
        const expected = expectedConstraint(field);
        const names = constraints.get(field.jsonName) ?? new Set<string>();
        if (expected === 'string-or-number') expect(names.size).toBeGreaterThan(0);
        else
          expect({ field: field.jsonName, has: names.has(expected) }).toEqual({
            field: field.jsonName,
            has: true,
          });
      }
    },
  );

  it('gives every payload of the oneof a row in the table of payload kinds, and a valid fixture', () => {
    const oneof = EnvelopeSchema.oneofs[0]?.fields.map((field) => field.jsonName) ?? [];
    expect([...PAYLOAD_TYPES].sort()).toEqual([...oneof].sort());
    expect(Object.keys(VALID_ENVELOPE_FACTORIES).sort()).toEqual([...oneof].sort());
  });
});
