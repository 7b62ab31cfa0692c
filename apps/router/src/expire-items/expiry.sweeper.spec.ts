import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { HandlingCode, MsxError, Tlp } from '#contracts';
import type { AuditGate } from '#runtime';
import { ExpiryIndex } from '../ledger/expiry-index.js';
import type { Ledger, LedgerItem } from '../ledger/ledger.js';
import type { RouteMessageService } from '../route-message/route-message.service.js';
import type { Submission } from '../route-message/route-message.handler.js';
import { routerKeysFrom } from '../vouch-deliveries/router-keys.js';
import { ExpirySweeper } from './expiry.sweeper.js';

const NOW = Date.UTC(2026, 11, 2, 12);
const keys = routerKeysFrom(generateKeyPairSync('ed25519').privateKey);

const itemOf = (n: number): LedgerItem => ({
  messageId: `0193a1b2-0000-7000-8000-00000000000${n}`,
  originator: 'emlo-ne',
  type: 'routeReport',
  handlingCode: HandlingCode.H1,
  tlp: Tlp.AMBER,
  payloadSha256: 'a'.repeat(64),
  recipients: ['cp-it'],
  copies: { 'cp-it': n },
  expiresAtMs: NOW - 10 + n,
});

/**
 * The sweeper on its own, with the items it reads and the routing it hands recalls to standing in for the
 * ledger and the router (the recall itself is tested on real NATS in the router's integration tests).
 */
describe('the expiry sweeper', () => {
  it('recalls the other due items when one of them cannot be recalled now, and that one at the next sweep', async () => {
    const items = [1, 2, 3].map(itemOf);
    const index = new ExpiryIndex();
    for (const item of items) index.track(item);
    const recalled: string[] = [];
    let busy = true;
    const routing = {
      route: (s: Submission) => {
        const id = s.envelope.payload.case === 'recall' ? s.envelope.payload.value.messageId : '';
        // Item 2 is held by another router for now.
        if (id === items[1].messageId && busy)
          return Promise.reject(new MsxError('ROUTER.ITEM_BUSY', `item ${id} is busy`, { retryable: true }));
        recalled.push(id);
        index.track({ messageId: id, recalled: true });
        return Promise.resolve();
      },
    } as unknown as RouteMessageService;
    const ledger = {
      item: (id: string) => Promise.resolve(items.find((i) => i.messageId === id)),
    } as unknown as Ledger;
    const gate = { state: () => ({ open: true }) } as unknown as AuditGate;
    const sweeper = new ExpirySweeper(ledger, index, keys, routing, gate);

    expect(await sweeper.sweep(NOW)).toBe(2);
    expect(recalled).toEqual([items[0].messageId, items[2].messageId]);
    expect(index.due(NOW)).toEqual([items[1].messageId]);

    busy = false;
    expect(await sweeper.sweep(NOW)).toBe(1);
    expect(recalled).toEqual([items[0].messageId, items[2].messageId, items[1].messageId]);
    expect(index.due(NOW)).toEqual([]);
  });

  it('leaves every due item for later while the audit trail cannot record', async () => {
    const index = new ExpiryIndex();
    index.track(itemOf(1));
    const routing = {
      route: () => Promise.reject(new Error('must not route')),
    } as unknown as RouteMessageService;
    const ledger = { item: () => Promise.resolve(itemOf(1)) } as unknown as Ledger;
    const gate = { state: () => ({ open: false }) } as unknown as AuditGate;
    const sweeper = new ExpirySweeper(ledger, index, keys, routing, gate);
    expect(await sweeper.sweep(NOW)).toBe(0);
    expect(index.due(NOW)).toEqual([itemOf(1).messageId]);
  });
});
