import { describe, expect, it } from '@jest/globals';
import { VesselStatus } from '#contracts';
import { distanceKm, nearDepartureArea } from './departure-areas.js';
import { riskScore, type VesselEvidence } from './risk-score.js';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const DAY = 86_400_000;

const report = (reporter: string, more: Partial<VesselEvidence> = {}): VesselEvidence => ({
  itemId: `${reporter}-${Object.keys(more).join('-')}-${Math.random()}`,
  reporter,
  source: 'vessel-report',
  ...more,
});

describe("JOT MARE's vessel risk score", () => {
  it('scores nothing for a single plain report', () => {
    expect(riskScore([report('cp-it', { status: VesselStatus.ACTIVE, flag: 'IT' })], NOW)).toEqual({
      score: 0,
      fired: [],
    });
  });

  it('names each criterion that fired, with its points and what fired it', () => {
    const evidence = [
      report('cp-gr', { status: VesselStatus.DECOMMISSIONED, flag: 'SL' }),
      report('cp-it', { status: VesselStatus.SCHEDULED_FOR_SCRAPPING }),
      report('jot-mare', {
        position: { latitude: 36.7, longitude: 34.5, observedAtMs: NOW - DAY },
      }),
      { itemId: 'd1', reporter: 'cp-it', source: 'debriefing' as const },
    ];
    const { score, fired } = riskScore(evidence, NOW);
    expect(fired).toEqual([
      {
        name: 'decommissioned',
        points: 30,
        evidence: 'status DECOMMISSIONED, SCHEDULED_FOR_SCRAPPING in 2 reports',
      },
      { name: 'flag', points: 15, evidence: "flag SL, a registry smugglers' ships have used" },
      { name: 'prior-incidents', points: 20, evidence: 'named in 1 route report or debriefing' },
      { name: 'near-departure-area', points: 25, evidence: 'seen 16 km from Mersin (TR) on 2026-12-02' },
      { name: 'several-parties', points: 20, evidence: 'reported by cp-gr, cp-it, jot-mare' },
    ]);
    expect(score).toBe(110);
  });

  it('counts incidents by party: one party repeating itself adds nothing', () => {
    const repeated = [1, 2, 3, 4].map((n) => ({
      itemId: `d${n}`,
      reporter: 'cp-it',
      source: 'debriefing' as const,
    }));
    expect(riskScore(repeated, NOW).fired).toEqual([
      { name: 'prior-incidents', points: 20, evidence: 'named in 4 route reports or debriefings' },
    ]);
  });

  it('caps the growing criteria, and counts a seizure as an incident', () => {
    const many = ['a', 'b', 'c', 'd', 'e', 'f'].map((p) => ({
      itemId: p,
      reporter: `cp-${p}`,
      source: 'route-report' as const,
    }));
    const seized = report('cp-x', { status: VesselStatus.SEIZED });
    const { fired } = riskScore([...many, seized], NOW);
    expect(fired.find((c) => c.name === 'prior-incidents')).toEqual({
      name: 'prior-incidents',
      points: 40,
      evidence: 'named in 6 route reports or debriefings; seized (1 report)',
    });
    expect(fired.find((c) => c.name === 'several-parties')?.points).toBe(30);
  });

  it('counts a sighting near a departure area only while it is recent, and only near one', () => {
    const old = report('cp-it', {
      position: { latitude: 32.93, longitude: 12.1, observedAtMs: NOW - 15 * DAY },
    });
    const far = report('cp-it', { position: { latitude: 35.5, longitude: 14.5, observedAtMs: NOW } });
    expect(riskScore([old], NOW).fired).toEqual([]);
    expect(riskScore([far], NOW).fired).toEqual([]);
    const undated = report('cp-it', { position: { latitude: 32.93, longitude: 12.1 } });
    expect(riskScore([undated], NOW).fired[0]).toMatchObject({
      name: 'near-departure-area',
      evidence: 'seen 2 km from Zuwara (LY)',
    });
  });

  it('measures distances on the globe', () => {
    // Lampedusa to Zuwara is about 290 km.
    expect(Math.round(distanceKm(35.5, 12.6, 32.93, 12.08))).toBe(290);
    expect(nearDepartureArea(35.5, 12.6)).toBeUndefined();
    expect(nearDepartureArea(32.85, 12.3)?.area.name).toBe('Sabratha');
  });
});
