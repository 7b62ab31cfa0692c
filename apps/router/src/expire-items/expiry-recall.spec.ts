import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { toJson } from '@bufbuild/protobuf';
import { EnvelopeSchema, HandlingCode, Tlp, validateEnvelopeJson, type Envelope } from '#contracts';
import type { LedgerItem } from '../ledger/ledger.js';
import { routerKeysFrom } from '../vouch-deliveries/router-keys.js';
import { expiryRecallFor } from './expiry-recall.js';

const NOW = Date.UTC(2026, 10, 28, 12);
const ID = '0193a1b2-0000-7000-8000-00000000000a';
const keys = routerKeysFrom(generateKeyPairSync('ed25519').privateKey);

const item: LedgerItem = {
  messageId: ID,
  originator: 'emlo-ne',
  type: 'routeReport',
  handlingCode: HandlingCode.H1,
  tlp: Tlp.AMBER,
  payloadSha256: 'a'.repeat(64),
  recipients: ['cp-it', 'jot-mare'],
  copies: { 'cp-it': 7, 'jot-mare': 3 },
  expiresAtMs: NOW - 1,
};

const contractViolations = (env: Envelope) =>
  validateEnvelopeJson(toJson(EnvelopeSchema, env), { now: new Date(NOW) });

describe("the router's recall of an expired item", () => {
  it('writes an expiry recall that meets the contract and tells the recipients the retention period ended', () => {
    const recall = expiryRecallFor(item, NOW, keys);
    expect(contractViolations(recall)).toEqual([]);
    expect(recall.payload.case === 'recall' ? recall.payload.value.explanation : '').toMatch(/retention/);
  });
});
