/** Builders for the policy tests: an envelope and the facts around it, with sensible defaults. */
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  EnvelopeSchema,
  HandlingCode,
  ReleasabilityScope,
  ReleasabilitySchema,
  RouteReportSchema,
  sha256Hex,
  SmugglingRoute,
  Tlp,
  toBinaryPayload,
  type Envelope,
} from '#contracts';
import type { ItemRecord, PolicyFacts } from './facts.js';

export const NOW_MS = Date.UTC(2026, 10, 28, 12);

/** A route report from cp-gr on the central Mediterranean, H0, GREEN, released to NE, SN and ML. */
export function envelope(over: MessageInitShape<typeof EnvelopeSchema> = {}): Envelope {
  return create(EnvelopeSchema, {
    id: '0193a1b2-0000-7000-8000-000000000001',
    sender: 'cp-gr',
    author: 'cp-gr.analyst-3',
    createdAt: timestampFromMs(NOW_MS - 60_000),
    route: SmugglingRoute.CENTRAL_MEDITERRANEAN,
    handlingCode: HandlingCode.H0,
    tlp: Tlp.GREEN,
    releasability: create(ReleasabilitySchema, {
      scope: ReleasabilityScope.THIRD_COUNTRIES,
      thirdCountries: ['NE', 'SN', 'ML'],
    }),
    payload: { case: 'routeReport', value: create(RouteReportSchema, { departureArea: 'Zuwara coast' }) },
    ...over,
  });
}

/** The facts for an envelope: its payload hash at NOW_MS, plus what the test adds. */
export function factsFor(env: Envelope, over: Partial<PolicyFacts> = {}): PolicyFacts {
  return { nowMs: NOW_MS, payloadSha256: sha256Hex(toBinaryPayload(env)), ...over };
}

/** An item of the exchange: `originator`'s route report, delivered to `recipients`. */
export function item(over: Partial<ItemRecord> = {}): ItemRecord {
  return {
    messageId: '0193a1b2-0000-7000-8000-0000000000aa',
    originator: 'emlo-ne',
    type: 'routeReport',
    handlingCode: HandlingCode.H2,
    tlp: Tlp.AMBER,
    payloadSha256: sha256Hex(toBinaryPayload(envelope())),
    recipients: ['cp-it', 'jot-mare'],
    ...over,
  };
}
