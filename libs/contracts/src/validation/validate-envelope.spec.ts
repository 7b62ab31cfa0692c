import { describe, expect, it } from '@jest/globals';
import { fromJson, toJson, type JsonObject } from '@bufbuild/protobuf';
import { ContractViolationError } from '../errors.js';
import { EnvelopeSchema } from '../gen/msx/v1/envelope_pb.js';
import { MAX_JSON_DEPTH, assertValidEnvelopeJson, validateEnvelopeJson, type EnvelopeJson } from './index.js';
import { found, VALIDATION_NOW as NOW } from './violations-fixture.js';
import {
  VALID_ENVELOPE_FACTORIES,
  asJson,
  validCrossCheckRequestEnvelope,
  validModusOperandiReportEnvelope,
  validRouteReportEnvelope,
  validSuspectVesselReportEnvelope,
} from '#testing';

/** A route report with some of its top-level fields changed to anything, valid or not. */
function routeReportWith(changes: Record<string, unknown>): unknown {
  return { ...asJson(validRouteReportEnvelope()), ...changes };
}

const FACTORIES = Object.entries(VALID_ENVELOPE_FACTORIES);

describe('validateEnvelopeJson: the valid fixtures', () => {
  it.each(FACTORIES)('accepts the %s fixture', (_payload, factory) => {
    expect(found(factory())).toEqual([]);
  });

  it.each(FACTORIES)(
    'the %s fixture survives fromJson and comes back unchanged from toJson',
    (payload, factory) => {
      const json = asJson(factory());
      const envelope = fromJson(EnvelopeSchema, json);
      expect(envelope.payload.case).toBe(payload);
      expect(toJson(EnvelopeSchema, envelope)).toEqual(json);
    },
  );

  it('returns fresh objects, so one test cannot spoil another', () => {
    const first = validRouteReportEnvelope();
    first.recipients?.push('cp-gr');
    expect(validRouteReportEnvelope().recipients).toEqual(['cp-it', 'jot-mare']);
  });
});

describe('validateEnvelopeJson: the input as a whole', () => {
  it.each([[null], [[]], ['{"id":"x"}'], [42], [true]])('refuses %j, which is not a JSON object', (input) => {
    expect(found(input)).toEqual([{ field: '', rule: 'jsonObject' }]);
  });

  it('refuses undefined', () => {
    expect(found(undefined)).toEqual([{ field: '', rule: 'jsonObject' }]);
  });

  it('refuses an unknown property of the envelope at the envelope, without naming the key', () => {
    expect(found(routeReportWith({ priority: 'high' }))).toEqual([{ field: '', rule: 'unknownProperty' }]);
  });

  it('refuses an unknown property deep inside the payload at its parent, without naming the key', () => {
    const envelope = validRouteReportEnvelope();
    Object.assign(envelope.routeReport!.segments[1], { driver: 'Abu Salah' });
    expect(found(envelope)).toEqual([{ field: 'routeReport.segments[1]', rule: 'unknownProperty' }]);
  });

  it('never repeats the name or value of a key the contract does not define', () => {
    const envelope = validRouteReportEnvelope();
    Object.assign(envelope.routeReport!.segments[0], { '+393331234567': 'Mario Rossi' });
    // `__proto__` inside an unknown key: the JSON-shape check reports it, at a path that must not leak.
    const wire = `{"Mario Rossi": {"+393331234567": 1, "__proto__": "x"}, ${JSON.stringify(asJson(envelope)).slice(1)}`;
    const violations = validateEnvelopeJson(JSON.parse(wire), { now: NOW });
    expect(violations.map(({ field, rule }) => ({ field, rule }))).toEqual([
      { field: '', rule: 'unknownProperty' },
      { field: 'routeReport.segments[0]', rule: 'unknownProperty' },
    ]);
    expect(JSON.stringify(violations)).not.toMatch(/Mario|Rossi|393331234567/);
  });

  it('refuses snake_case names, which fromJson would accept, and says which name to use', () => {
    const { createdAt, ...rest } = asJson(validRouteReportEnvelope());
    const violations = validateEnvelopeJson({ ...rest, created_at: createdAt }, { now: NOW });
    expect(violations.map(({ field, rule }) => ({ field, rule }))).toEqual([
      { field: 'created_at', rule: 'unknownProperty' },
      { field: 'createdAt', rule: 'required' },
    ]);
    expect(violations[0]?.message).toContain('lowerCamelCase: createdAt');
  });

  it('refuses __proto__ and constructor keys, which class-transformer would silently drop', () => {
    const input: unknown = JSON.parse(
      `{"__proto__": {"tlp": "TLP_CLEAR"}, ${JSON.stringify(asJson(validRouteReportEnvelope())).slice(1)}`,
    );
    expect(found(input)).toEqual([{ field: '__proto__', rule: 'unknownProperty' }]);
    expect(found(routeReportWith({ constructor: 'x' }))).toEqual([
      { field: 'constructor', rule: 'unknownProperty' },
    ]);
  });

  it('reports keys class-transformer would drop in document order', () => {
    const envelope = validRouteReportEnvelope();
    const wire = JSON.stringify(asJson(envelope)).replace(
      /"fromCountry":/g,
      '"constructor":"x","fromCountry":',
    );
    expect(found(JSON.parse(wire))).toEqual([
      { field: 'routeReport.segments[0].constructor', rule: 'unknownProperty' },
      { field: 'routeReport.segments[1].constructor', rule: 'unknownProperty' },
      { field: 'routeReport.segments[2].constructor', rule: 'unknownProperty' },
    ]);
  });

  it(`converts input nested exactly ${MAX_JSON_DEPTH} levels deep`, () => {
    let deep: Record<string, unknown> = {};
    const extra = deep;
    // extra is at level 2; MAX_JSON_DEPTH - 2 more levels reach the limit exactly.
    for (let level = 0; level < MAX_JSON_DEPTH - 2; level++) deep = deep.next = {};
    expect(found(routeReportWith({ extra }))).toEqual([{ field: '', rule: 'unknownProperty' }]);
    // Text and numbers in the deepest object are values, not one more level.
    deep.note = 'the deepest level';
    deep.count = 16;
    expect(found(routeReportWith({ extra }))).toEqual([{ field: '', rule: 'unknownProperty' }]);
    deep.next = {};
    expect(found(routeReportWith({ extra }))).toEqual([{ field: '', rule: 'jsonDepth' }]);
  });

  it('refuses nesting deeper than any message has, before converting it', () => {
    let deep: Record<string, unknown> = {};
    const extra = deep;
    for (let level = 0; level < MAX_JSON_DEPTH; level++) deep = deep.next = {};
    expect(found(routeReportWith({ extra }))).toEqual([{ field: '', rule: 'jsonDepth' }]);
  });
});

describe('validateEnvelopeJson: protobuf JSON null', () => {
  it('accepts null for optional members, as fromJson does', () => {
    const input = routeReportWith({
      threadId: null,
      inReplyTo: null,
      recipients: null,
      containsPersonalData: null,
      purpose: null,
      expiresAt: null,
      consentRef: null,
    });
    expect(found(input)).toEqual([]);
    expect(fromJson(EnvelopeSchema, input as JsonObject).payload.case).toBe('routeReport');
  });

  it('refuses a second payload given as null, which fromJson refuses as a oneof set twice', () => {
    const input = routeReportWith({ hitNotice: null });
    expect(found(input)).toEqual([{ field: '', rule: 'exactlyOnePayload' }]);
    expect(() => fromJson(EnvelopeSchema, input as JsonObject)).toThrow(/oneof set multiple times/);
  });

  it('refuses a payload given only as null: the message carries nothing', () => {
    const { routeReport: _report, ...rest } = asJson(validRouteReportEnvelope());
    const input = { ...rest, routeReport: null };
    expect(found(input)).toEqual([{ field: '', rule: 'exactlyOnePayload' }]);
    expect(fromJson(EnvelopeSchema, input).payload.case).toBeUndefined();
  });

  it('accepts null for the optional members of a payload', () => {
    const envelope = validRouteReportEnvelope();
    Object.assign(envelope.routeReport!, { departureArea: null, period: null, pricePerPerson: null });
    Object.assign(envelope.routeReport!.segments[0], { fromPlace: null, mode: null });
    expect(found(envelope)).toEqual([]);
  });

  it('treats null for a required member as missing, without failing on it', () => {
    expect(found(routeReportWith({ sender: null, releasability: null, evaluation: null }))).toEqual([
      { field: 'sender', rule: 'required' },
      { field: 'releasability', rule: 'required' },
      { field: 'evaluation.sourceReliability', rule: 'evaluationRequired' },
      { field: 'evaluation.informationAccuracy', rule: 'evaluationRequired' },
    ]);
  });

  it('refuses null inside a list of messages', () => {
    const envelope = validRouteReportEnvelope();
    (envelope.routeReport!.segments as unknown[]).push(null);
    expect(found(envelope)).toEqual([{ field: 'routeReport.segments[3]', rule: 'jsonObject' }]);
  });
});

describe('validateEnvelopeJson: field rules', () => {
  it('reports every missing required envelope field', () => {
    expect(found({ routeReport: asJson(validRouteReportEnvelope()).routeReport })).toEqual([
      { field: 'id', rule: 'required' },
      { field: 'sender', rule: 'required' },
      { field: 'author', rule: 'required' },
      { field: 'createdAt', rule: 'required' },
      { field: 'handlingCode', rule: 'required' },
      { field: 'tlp', rule: 'required' },
      { field: 'releasability', rule: 'required' },
      { field: 'evaluation.sourceReliability', rule: 'evaluationRequired' },
      { field: 'evaluation.informationAccuracy', rule: 'evaluationRequired' },
      { field: 'route', rule: 'routeRequired' },
    ]);
  });

  it('requires the releasability scope', () => {
    expect(found(routeReportWith({ releasability: {} }))).toEqual([
      { field: 'releasability.scope', rule: 'required' },
    ]);
  });

  it('treats "" as a missing required field, as protobuf JSON does', () => {
    expect(found(routeReportWith({ author: '' }))).toEqual([{ field: 'author', rule: 'required' }]);
  });

  it('accepts "" for an optional string field, as protobuf JSON does', () => {
    expect(found(routeReportWith({ threadId: '', purpose: '' }))).toEqual([]);
  });

  it.each([
    ['id', '1976342-9f40-7d42-9f0a-64fa368f37ee', 'uuid'],
    ['threadId', 'thread-1', 'uuid'],
    ['sender', 'EMLO_NE', 'nodeId'],
    ['author', 'officer 17', 'officerId'],
    ['createdAt', '2025-06-12 08:30', 'rfc3339'],
    ['expiresAt', 1749717000, 'rfc3339'],
    ['tlp', 'TLP_AMBER+STRICT', 'protoEnum'],
    ['tlp', 'TLP_UNSPECIFIED', 'protoEnum'],
    ['tlp', 3, 'protoEnum'],
    ['handlingCode', 'H1', 'protoEnum'],
    ['route', '', 'protoEnum'],
    ['containsPersonalData', 'yes', 'isBoolean'],
    ['purpose', 'line\u0000break', 'noControlCharacters'],
    ['purpose', 'x'.repeat(2001), 'maxLength'],
    ['evaluation', 'B2', 'jsonObject'],
    ['releasability', 'RELEASABILITY_SCOPE_EU_ONLY', 'jsonObject'],
    ['recipients', 'cp-it', 'isArray'],
  ])('reports %s = %j under %s', (field, value, rule) => {
    expect(found(routeReportWith({ [field]: value }))).toEqual([{ field, rule }]);
  });

  it('reports a number where a list belongs as isArray only', () => {
    expect(found(routeReportWith({ recipients: 7 }))).toEqual([{ field: 'recipients', rule: 'isArray' }]);
  });

  it('reports a coordinate given as text as isNumber only, not as out of range', () => {
    const envelope = validSuspectVesselReportEnvelope();
    envelope.suspectVesselReport!.lastPosition!.point = { latitude: '36.4' as unknown as number };
    const violations = validateEnvelopeJson(asJson(envelope), { now: NOW });
    expect(violations).toEqual([
      {
        field: 'suspectVesselReport.lastPosition.point.latitude',
        rule: 'isNumber',
        message: 'suspectVesselReport.lastPosition.point.latitude must be a finite JSON number',
      },
    ]);
  });

  it.each([[Number.NaN], [Number.POSITIVE_INFINITY]])(
    'refuses a coordinate of %s, which a caller building objects could pass',
    (latitude) => {
      const envelope = validSuspectVesselReportEnvelope();
      envelope.suspectVesselReport!.lastPosition!.point = { latitude, longitude: 18.237 };
      const violations = validateEnvelopeJson(envelope, { now: NOW });
      expect(violations.map(({ field, rule }) => ({ field, rule }))).toEqual([
        { field: 'suspectVesselReport.lastPosition.point.latitude', rule: 'isNumber' },
      ]);
    },
  );

  it('points at the failing element of a list of values', () => {
    expect(found(routeReportWith({ recipients: ['cp-it', 'CP-MT', 'jot-mare', 7] }))).toEqual([
      { field: 'recipients[1]', rule: 'nodeId' },
      { field: 'recipients[3]', rule: 'nodeId' },
    ]);
  });

  it('refuses a recipient named twice and more than 100 recipients', () => {
    expect(found(routeReportWith({ recipients: ['cp-it', 'jot-mare', 'cp-it'] }))).toEqual([
      { field: 'recipients', rule: 'uniqueRecipients' },
    ]);
    const many = Array.from({ length: 101 }, (_, i) => `cp-${i}`);
    expect(found(routeReportWith({ recipients: many }))).toEqual([
      { field: 'recipients', rule: 'arrayMaxSize' },
    ]);
  });

  it('points at nested fields with dotted paths and list indexes', () => {
    const envelope = validRouteReportEnvelope();
    envelope.routeReport!.segments[2].toCountry = 'ITA';
    envelope.routeReport!.pricePerPerson = { amount: '3,000', currency: 'usd' };
    expect(found(envelope)).toEqual([
      { field: 'routeReport.segments[2].toCountry', rule: 'iso3166Alpha2' },
      { field: 'routeReport.pricePerPerson.amount', rule: 'decimalAmount' },
      { field: 'routeReport.pricePerPerson.currency', rule: 'iso4217' },
    ]);
  });

  it('points at the eleventh segment and beyond with its index', () => {
    const envelope = validRouteReportEnvelope();
    const segment = envelope.routeReport!.segments[0];
    envelope.routeReport!.segments = Array.from({ length: 12 }, () => ({ ...segment }));
    envelope.routeReport!.segments[10] = { ...segment, fromCountry: 'XX' };
    expect(found(envelope)).toEqual([
      { field: 'routeReport.segments[10].fromCountry', rule: 'iso3166Alpha2' },
    ]);
  });

  it('names the full path in the message', () => {
    const envelope = validSuspectVesselReportEnvelope();
    envelope.suspectVesselReport!.imoNumber = '9074728';
    expect(validateEnvelopeJson(asJson(envelope), { now: NOW })).toEqual([
      {
        field: 'suspectVesselReport.imoNumber',
        rule: 'imoCheckDigit',
        message: 'suspectVesselReport.imoNumber must be a 7-digit IMO number whose check digit matches',
      },
    ]);
  });

  it('tells the officer in words what each rule wants', () => {
    const messages = (envelope: EnvelopeJson) =>
      validateEnvelopeJson(asJson(envelope), { now: NOW }).map((v) => v.message);
    expect(messages(validRouteReportEnvelope({ recipients: ['cp-it', 'cp-it'] }))).toEqual([
      'recipients must not name the same node twice',
    ]);
    const repeated = validRouteReportEnvelope();
    repeated.routeReport!.nationalities = ['ER', 'ER'];
    expect(messages(repeated)).toEqual(['routeReport.nationalities must not name the same value twice']);
    expect(messages(validRouteReportEnvelope({ tlp: 'TLP_PURPLE' }))).toEqual([
      'tlp must be one of TLP_CLEAR, TLP_GREEN, TLP_AMBER, TLP_AMBER_STRICT, TLP_RED',
    ]);
    expect(messages(validRouteReportEnvelope({ purpose: 'a\u0007b' }))).toEqual([
      'purpose must not contain control characters (other than tab and line breaks) or unpaired surrogates',
    ]);
    const titled = validModusOperandiReportEnvelope();
    titled.modusOperandiReport!.title = 'a\tb';
    expect(messages(titled)).toEqual([
      'modusOperandiReport.title must not contain control characters or unpaired surrogates',
    ]);
    const selector = validCrossCheckRequestEnvelope();
    selector.crossCheckRequest!.selectors[0].value = '0049 151 1234';
    expect(messages(selector)).toEqual([
      'crossCheckRequest.selectors[0].value must be an E.164 phone number for its kind',
    ]);
  });

  it('reports a wrong JSON type once, not every rule the value then fails', () => {
    const envelope = validRouteReportEnvelope();
    Object.assign(envelope.routeReport!, {
      peopleCarried: '85',
      period: [{ start: '2025-05-01T00:00:00Z' }],
    });
    expect(found(envelope)).toEqual([
      { field: 'routeReport.period', rule: 'jsonObject' },
      { field: 'routeReport.peopleCarried', rule: 'isInt' },
    ]);
  });

  it('reports a list element of the wrong type once, and still checks the other elements', () => {
    const envelope = validModusOperandiReportEnvelope();
    envelope.modusOperandiReport!.indicators = ['ok', 7 as unknown as string, 'bell\u0007'];
    expect(found(envelope)).toEqual([
      { field: 'modusOperandiReport.indicators[1]', rule: 'isString' },
      { field: 'modusOperandiReport.indicators[2]', rule: 'noControlCharacters' },
    ]);
  });

  it('refuses a list of messages that holds something else', () => {
    const envelope = validRouteReportEnvelope();
    (envelope.routeReport!.segments as unknown[]).push('LY-IT', [{ fromCountry: 'LY', toCountry: 'IT' }]);
    expect(found(envelope)).toEqual([
      { field: 'routeReport.segments[3]', rule: 'jsonObject' },
      { field: 'routeReport.segments[4]', rule: 'jsonObject' },
    ]);
  });

  it('keeps WGS 84 coordinates in range and accepts the equator, which protobuf JSON leaves out', () => {
    const envelope = validSuspectVesselReportEnvelope();
    envelope.suspectVesselReport!.lastPosition!.point = { latitude: 91, longitude: -180.5 };
    expect(found(envelope)).toEqual([
      { field: 'suspectVesselReport.lastPosition.point.latitude', rule: 'max' },
      { field: 'suspectVesselReport.lastPosition.point.longitude', rule: 'min' },
    ]);
    envelope.suspectVesselReport!.lastPosition!.point = { longitude: 12.5 };
    expect(found(envelope)).toEqual([]);
  });

  it('bounds titles and narratives', () => {
    const envelope = validModusOperandiReportEnvelope();
    envelope.modusOperandiReport!.title = 'x'.repeat(201);
    envelope.modusOperandiReport!.narrative = 'x'.repeat(8001);
    expect(found(envelope)).toEqual([
      { field: 'modusOperandiReport.title', rule: 'maxLength' },
      { field: 'modusOperandiReport.narrative', rule: 'maxLength' },
    ]);
  });

  it('reports in a stable order: field rules in proto order, then coherence rules', () => {
    const input = routeReportWith({ tlp: 'TLP_RED', recipients: [], sender: 'Bad Sender', route: undefined });
    const first = validateEnvelopeJson(JSON.parse(JSON.stringify(input)), { now: NOW });
    expect(first.map(({ field, rule }) => ({ field, rule }))).toEqual([
      { field: 'sender', rule: 'nodeId' },
      { field: 'recipients', rule: 'tlpRedRequiresRecipients' },
      { field: 'route', rule: 'routeRequired' },
    ]);
    expect(validateEnvelopeJson(JSON.parse(JSON.stringify(input)), { now: NOW })).toEqual(first);
  });
});

describe('assertValidEnvelopeJson', () => {
  it('passes a valid envelope', () => {
    const json: unknown = asJson(validRouteReportEnvelope());
    assertValidEnvelopeJson(json, { now: NOW });
    expect(fromJson(EnvelopeSchema, json).id).toBe('01976342-9f40-7d42-9f0a-64fa368f37ee');
  });

  it('throws ContractViolationError with code CONTRACT.INVALID and every violation', () => {
    const envelope: EnvelopeJson = validRouteReportEnvelope({ sender: 'EMLO', tlp: 'TLP_PURPLE' });
    let thrown: unknown;
    try {
      assertValidEnvelopeJson(asJson(envelope), { now: NOW });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ContractViolationError);
    const error = thrown as ContractViolationError;
    expect(error.code).toBe('CONTRACT.INVALID');
    expect(error.violations.map((v) => v.rule)).toEqual(['nodeId', 'protoEnum']);
  });
});
