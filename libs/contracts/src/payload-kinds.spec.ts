import { describe, expect, it } from '@jest/globals';
import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import { EnvelopeSchema } from './gen/msx/v1/envelope_pb.js';
import {
  concernedMessageId,
  CONTROL_TYPES,
  INTEL_TYPES,
  PAYLOAD_KINDS,
  PAYLOAD_TYPES,
  PRODUCT_TYPES,
  PUBLISHABLE_TYPES,
  ROUTER_ONLY_TYPES,
  FROM_MATCHER_TYPES,
  TO_MATCHER_TYPES,
  type PayloadType,
} from './payload-kinds.js';
import { TYPE_TOKENS } from './topic-tokens.js';
import { VALID_ENVELOPE_FACTORIES } from '#testing';

/** True exactly when A and B are the same type. */
type SameTypes<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

describe('the table of payload kinds', () => {
  it('does not compile without a row for every payload type of the contract', () => {
    // `npm run typecheck` fails unless the table's types are exactly the contract's: a type added to the
    // proto without a row, or a row dropped, makes the first line an error; the second shows that it would.
    const everyTypeHasItsRow: SameTypes<keyof typeof PAYLOAD_KINDS, PayloadType> = true;
    // @ts-expect-error a table without the hit notice's row is not the contract's
    const withoutOne: SameTypes<Exclude<keyof typeof PAYLOAD_KINDS, 'hitNotice'>, PayloadType> = true;
    expect([everyTypeHasItsRow, withoutOne]).toEqual([true, true]);
    expect(Object.keys(PAYLOAD_KINDS)).toHaveLength(new Set(PAYLOAD_TYPES).size);
  });

  it('sorts the types into the seven of the action plan, the hubs’ products and control messages', () => {
    expect(INTEL_TYPES).toEqual([
      'routeReport',
      'modusOperandiReport',
      'financialLead',
      'suspectVesselReport',
      'documentFraudReport',
      'internetContentReferral',
      'debriefingReport',
    ]);
    expect(PRODUCT_TYPES).toEqual(['vesselAlert', 'analysisProduct']);
    expect([...INTEL_TYPES, ...PRODUCT_TYPES, ...CONTROL_TYPES, ...ROUTER_ONLY_TYPES].sort()).toEqual(
      [...PAYLOAD_TYPES].sort(),
    );
    expect(PUBLISHABLE_TYPES).toEqual([...INTEL_TYPES, ...PRODUCT_TYPES]);
    // No party may submit a delivery receipt: it is the router's word on what was delivered.
    expect(ROUTER_ONLY_TYPES).toEqual(['deliveryReceipt']);
  });

  it('gives each intelligence type a topic token of its own, one NATS subject token, and nothing else one', () => {
    expect(TYPE_TOKENS).toEqual([
      'route',
      'modus-operandi',
      'financial',
      'vessel',
      'document-fraud',
      'internet-content',
      'debriefing',
    ]);
    for (const t of PAYLOAD_TYPES) {
      const { family, topic } = PAYLOAD_KINDS[t];
      expect([t, topic === null]).toEqual([t, family !== 'intel']);
      if (topic !== null) expect(topic).toMatch(/^[a-z][a-z-]*$/);
    }
  });

  it('marks as concerning an item exactly the control messages that name one, and keeps no copy of those', () => {
    const namesItem = (t: PayloadType) =>
      EnvelopeSchema.oneofs[0].fields
        .find((f) => f.localName === t)!
        .message!.fields.some((f) => f.localName === 'messageId');
    for (const t of PAYLOAD_TYPES) {
      const kind = PAYLOAD_KINDS[t];
      // A delivery receipt names the submission it answers, which may have been refused: no item of the
      // exchange. Every other type that names a message concerns that item.
      expect([t, kind.concernsItem]).toEqual([t, namesItem(t) && t !== 'deliveryReceipt']);
      if (kind.concernsItem) expect([t, kind.kept]).toEqual([t, false]);
    }
    // Intelligence, products, cross-checks, hit notices and blind answers are kept; receipts, item controls
    // and what parties tell the matching service (kept in its own index) are not.
    expect(PAYLOAD_TYPES.filter((t) => !PAYLOAD_KINDS[t].kept).sort()).toEqual(
      [
        'acknowledgement',
        'blindIndexUpdate',
        'blindQuery',
        'deliveryReceipt',
        'erasureReceipt',
        'recall',
        'shareDecision',
        'shareRequest',
      ].sort(),
    );
  });

  it('reads the concerned item of each control message about one, and none of anything else', () => {
    for (const t of PAYLOAD_TYPES) {
      const json = VALID_ENVELOPE_FACTORIES[t]();
      const envelope = fromJson(EnvelopeSchema, json as unknown as JsonValue);
      const named = (json[t] as { messageId?: string }).messageId;
      expect([t, concernedMessageId(envelope)]).toEqual([
        t,
        PAYLOAD_KINDS[t].concernsItem ? named : undefined,
      ]);
      if (PAYLOAD_KINDS[t].concernsItem) expect(named).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('sends index updates and queries to a matching service only, and lets only it answer', () => {
    expect(TO_MATCHER_TYPES).toEqual(['blindIndexUpdate', 'blindQuery']);
    expect(FROM_MATCHER_TYPES).toEqual(['blindAnswer', 'blindQueryNotice']);
    for (const t of [...TO_MATCHER_TYPES, ...FROM_MATCHER_TYPES]) {
      expect([t, PAYLOAD_KINDS[t].family, PAYLOAD_KINDS[t].topic]).toEqual([t, 'control', null]);
      expect(CONTROL_TYPES).toContain(t);
    }
  });
});
