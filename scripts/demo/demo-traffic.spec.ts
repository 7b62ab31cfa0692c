import { describe, expect, it } from '@jest/globals';
import { isIban, isImoNumber, validateEnvelopeJson } from '#contracts';
import { DEMO_IBANS, DEMO_VESSEL_IMO, demoTraffic } from './demo-traffic.js';

describe('the demo traffic', () => {
  const now = Date.parse('2025-06-15T12:00:00Z');
  const items = demoTraffic(now);

  it.each(items.map((item) => [item.label, item.envelope] as const))(
    'is a valid envelope: %s',
    (_label, envelope) => {
      expect(validateEnvelopeJson(envelope, { now: new Date(now) })).toEqual([]);
    },
  );

  it('is valid when sent right away, with no time in the future of the exchange clock', () => {
    const fresh = demoTraffic();
    for (const item of fresh) expect(validateEnvelopeJson(item.envelope)).toEqual([]);
  });

  it('gives every item its own id, different on every run', () => {
    const ids = items.map((i) => i.envelope.id);
    expect(new Set(ids).size).toBe(ids.length);
    const again = demoTraffic(now + 1_000).map((i) => i.envelope.id);
    expect(again.some((id) => ids.includes(id))).toBe(false);
  });

  it('reports one decommissioned cargo ship from cp-it, cp-gr and jot-mare under a valid IMO number', () => {
    expect(isImoNumber(DEMO_VESSEL_IMO)).toBe(true);
    const reports = items.filter((i) => i.envelope.suspectVesselReport);
    expect(reports.map((r) => r.envelope.sender).sort()).toEqual(['cp-gr', 'cp-it', 'jot-mare']);
    expect(new Set(reports.map((r) => r.envelope.suspectVesselReport!.imoNumber))).toEqual(
      new Set([DEMO_VESSEL_IMO]),
    );
  });

  it("uses IBANs with valid mod-97 check digits for the hawala network's accounts", () => {
    for (const iban of Object.values(DEMO_IBANS)) expect(isIban(iban)).toBe(true);
    const leads = items.filter((i) => i.envelope.financialLead);
    expect(leads.map((l) => l.envelope.financialLead!.channel)).toEqual([
      'FINANCIAL_CHANNEL_HAWALA',
      'FINANCIAL_CHANNEL_HAWALA',
    ]);
    expect(leads.every((l) => l.envelope.sender.startsWith('cp-'))).toBe(true);
  });

  it('refers internet content to europol-iru and sends items the sharing rules must withhold', () => {
    const referrals = items.filter((i) => i.envelope.internetContentReferral);
    expect(referrals.length).toBeGreaterThanOrEqual(2);
    for (const r of referrals) expect(r.envelope.recipients).toContain('europol-iru');
    expect(items.some((i) => i.envelope.tlp === 'TLP_RED')).toBe(true);
    expect(
      items.some(
        (i) =>
          i.envelope.releasability?.scope === 'RELEASABILITY_SCOPE_EU_ONLY' &&
          i.envelope.routeReport !== undefined,
      ),
    ).toBe(true);
    expect(
      items.some(
        (i) =>
          i.envelope.recipients?.includes('afic-partner-ne') &&
          i.envelope.handlingCode === 'HANDLING_CODE_H2',
      ),
    ).toBe(true);
  });
});
