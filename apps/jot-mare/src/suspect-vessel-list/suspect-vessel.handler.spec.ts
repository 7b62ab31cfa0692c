import { describe, expect, it } from '@jest/globals';
import { create } from '@bufbuild/protobuf';
import { EnvelopeSchema, SuspectVesselReportSchema } from '#contracts';
import { SuspectVesselHandler } from './suspect-vessel.handler.js';

const ITEM = '0193a1b2-0000-7000-8000-0000000000aa';
const FORWARD = '0193a1b2-0000-7000-8000-0000000000f1';

/** A suspect-vessel report as it reaches JOT MARE: `itemId` is the item it is a copy of. */
const copy = (id: string, itemId: string, sender: string) => ({
  envelope: create(EnvelopeSchema, {
    id,
    sender,
    payload: {
      case: 'suspectVesselReport',
      value: create(SuspectVesselReportSchema, { name: 'Ezadeen', imoNumber: '9074729' }),
    },
  }),
  itemId,
  sha256: 'ab'.repeat(32),
  correlationId: '',
});

describe('JOT MARE suspect-vessel handler', () => {
  it("lists a forwarded report under the item it is a copy of, so the item's recall erases it", async () => {
    const handler = new SuspectVesselHandler();
    await handler.handle(copy(FORWARD, ITEM, 'cp-it'));
    expect(await handler.beginErasure(ITEM)).toEqual(['suspect-vessel-list:imo:9074729']);
    expect(await handler.beginErasure(FORWARD)).toEqual([]);
    await handler.erase(ITEM);
    expect(handler.list.get('imo:9074729')).toBeUndefined();
    expect(await handler.beginErasure(ITEM)).toEqual([]);
  });

  it('combines reports of one vessel from two parties, and keeps the vessel listed after one is recalled', async () => {
    const handler = new SuspectVesselHandler();
    await handler.handle(copy(ITEM, ITEM, 'cp-it'));
    const ops = await handler.handle(copy(FORWARD, FORWARD, 'cp-gr'));
    expect(ops.map((o) => o.key)).toEqual(['combine:imo:9074729:cp-gr,cp-it']);
    await handler.erase(ITEM);
    expect([...handler.list.get('imo:9074729')!.reports.keys()]).toEqual([FORWARD]);
  });
});
