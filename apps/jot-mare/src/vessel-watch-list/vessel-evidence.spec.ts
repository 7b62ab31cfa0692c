import { describe, expect, it } from '@jest/globals';
import {
  AlertLevel,
  assertValidEnvelopeJson,
  DEFAULT_PURPOSES,
  envelopeFromJson,
  envelopeToJson,
  HandlingCode,
  Purpose,
  SmugglingRoute,
  Tlp,
  VesselStatus,
  type Envelope,
} from '#contracts';
import { loadDirectory } from '#directory';
import {
  asJson,
  validDebriefingReportEnvelope,
  validRouteReportEnvelope,
  validSuspectVesselReportEnvelope,
} from '#testing';
import { alertRecipients } from './alert-recipients.js';
import { DEFAULT_RISK_SETTINGS, riskScore } from './risk-score.js';
import { imoNumbersIn, vesselMentions } from './vessel-evidence.js';
import { alertBasis, alertLevel, vesselAlertFor } from './vessel-alert.js';
import type { StoredEvidence } from './watch-list.store.js';

const env = (json: unknown): Envelope => envelopeFromJson(asJson(json as never));

describe('what an item tells the watch-list', () => {
  it('takes the vessel, status, flag and position from a suspect-vessel report', () => {
    const [m] = vesselMentions(env(validSuspectVesselReportEnvelope()));
    expect(m.vessel).toMatchObject({ key: 'imo:9074729', imoNumber: '9074729' });
    expect(m.evidence).toMatchObject({ source: 'vessel-report', status: expect.any(Number) });
  });

  it("finds vessels a route report names by a valid IMO number, and those among a debriefing's selectors", () => {
    expect(
      imoNumbersIn('cargo ship IMO 9074729, then IMO:9074728 (bad check digit), imo#9074729 again'),
    ).toEqual(['9074729']);
    const route = env(validRouteReportEnvelope());
    if (route.payload.case === 'routeReport')
      route.payload.value.narrative = 'Boarded the Ezadeen (IMO 9074729).';
    expect(vesselMentions(route).map((m) => [m.vessel.key, m.evidence.source])).toEqual([
      ['imo:9074729', 'route-report'],
    ]);
    const debriefing = env(validDebriefingReportEnvelope());
    const mentions = vesselMentions(debriefing);
    expect(mentions.every((m) => m.evidence.source === 'debriefing')).toBe(true);
  });
});

describe('a vessel alert', () => {
  const directory = loadDirectory('deploy/directory.yaml');
  const NOW = Date.parse('2026-12-03T12:00:00Z');
  const ev = (reporter: string, more: Partial<StoredEvidence> = {}): StoredEvidence => ({
    itemId: '01a23c99-86ab-75ad-ad16-2a7fd4db8ba' + reporter.length,
    messageId: '01a23c99-86ab-75ad-ad16-2a7fd4db8ba' + reporter.length,
    reporter,
    source: 'vessel-report',
    route: SmugglingRoute.CENTRAL_MEDITERRANEAN,
    handlingCode: HandlingCode.H0,
    tlp: Tlp.GREEN,
    purposes: [...DEFAULT_PURPOSES.suspectVesselReport],
    ...more,
  });

  it("goes to the coastal contact points of the vessel's routes and to Frontex, nobody else", () => {
    expect(alertRecipients(directory, [SmugglingRoute.CENTRAL_MEDITERRANEAN], 'frontex-ra')).toEqual([
      'cp-it',
      'cp-mt',
      'frontex-ra',
    ]);
    expect(
      alertRecipients(
        directory,
        [SmugglingRoute.EASTERN_MEDITERRANEAN, SmugglingRoute.CENTRAL_MEDITERRANEAN],
        'frontex-ra',
      ),
    ).toEqual(['cp-cy', 'cp-gr', 'cp-it', 'cp-mt', 'frontex-ra']);
    expect(alertRecipients(directory, [SmugglingRoute.WESTERN_BALKANS], 'frontex-ra')).toEqual([
      'frontex-ra',
    ]);
  });

  it('meets the contract, states every criterion, and is marked like its strictest report', () => {
    const evidence = [
      ev('cp-gr', { status: VesselStatus.DECOMMISSIONED, flag: 'SL' }),
      ev('cp-it', { tlp: Tlp.AMBER, handlingCode: HandlingCode.H1 }),
      ev('jot-mare'),
    ];
    const score = riskScore(evidence, NOW);
    const alert = vesselAlertFor({
      node: 'jot-mare',
      idKey: 'secret',
      vessel: { key: 'imo:9074729', imoNumber: '9074729', name: 'EZADEEN' },
      evidence,
      score,
      threshold: 60,
      level: alertLevel(score, 60, evidence, NOW),
      recipients: ['cp-it', 'cp-mt', 'frontex-ra'],
      purposes: [Purpose.CRIMINAL_INVESTIGATION, Purpose.BORDER_MANAGEMENT],
      nowMs: NOW,
    });
    expect(() => assertValidEnvelopeJson(envelopeToJson(alert))).not.toThrow();
    expect(alert.handlingCode).toBe(HandlingCode.H1);
    expect(alert.tlp).toBe(Tlp.AMBER);
    expect(alert.purposes).toEqual([Purpose.CRIMINAL_INVESTIGATION, Purpose.BORDER_MANAGEMENT]);
    expect(alert.route).toBe(SmugglingRoute.CENTRAL_MEDITERRANEAN);
    const v = alert.payload.case === 'vesselAlert' ? alert.payload.value : undefined;
    expect(v?.riskScore).toBe(65);
    expect(v?.level).toBe(AlertLevel.WATCH);
    expect(v?.criteria.map((c) => `${c.name}+${c.points}`)).toEqual([
      'decommissioned+30',
      'flag+15',
      'several-parties+20',
    ]);
    expect(v?.reason).toMatch(
      /^Risk score 65 \(threshold 60\): decommissioned \+30 \(status DECOMMISSIONED in 1 report\); /,
    );
  });

  it('is imminent when the vessel was seen near a departure area in the last two days, high well above the threshold', () => {
    const seen = [
      ev('cp-it', { position: { latitude: 32.93, longitude: 12.1, observedAtMs: NOW - 3_600_000 } }),
    ];
    const s = { score: 70, fired: [{ name: 'near-departure-area', points: 25, evidence: '' }] };
    expect(alertLevel(s, 60, seen, NOW)).toBe(AlertLevel.IMMINENT);
    expect(alertLevel({ score: 80, fired: [] }, 60, [], NOW)).toBe(AlertLevel.HIGH);
    expect(alertLevel({ score: 79, fired: [] }, 60, [], NOW)).toBe(AlertLevel.WATCH);
  });

  it('rests only on reports that serve every purpose it states, the widest that reach the threshold', () => {
    const { CRIMINAL_INVESTIGATION: CI, BORDER_MANAGEMENT: BM, RISK_ANALYSIS: RA } = Purpose;
    const decommissioned = { status: VesselStatus.DECOMMISSIONED, flag: 'SL' };
    const basisOf = (evidence: StoredEvidence[]) => {
      const b = alertBasis(evidence, 60, DEFAULT_RISK_SETTINGS, NOW);
      return (
        b && { purposes: b.purposes, reporters: b.evidence.map((e) => e.reporter), score: b.score.score }
      );
    };
    // Every report serves both (a vessel report's default): the alert rests on all of them.
    expect(basisOf([ev('cp-gr', decommissioned), ev('cp-it'), ev('cp-mt')])).toEqual({
      purposes: [CI, BM],
      reporters: ['cp-gr', 'cp-it', 'cp-mt'],
      score: 65,
    });
    // cp-fr gave its report for criminal investigation alone: an alert for the coast guards may not use it.
    const forPolice = ev('cp-fr', { ...decommissioned, purposes: [CI] });
    expect(basisOf([forPolice, ev('cp-it'), ev('cp-mt')])).toEqual({
      purposes: [CI],
      reporters: ['cp-fr', 'cp-it', 'cp-mt'],
      score: 65,
    });
    // Alone it reaches the threshold for no purpose both others serve, and for border management not at all.
    expect(basisOf([forPolice, ev('cp-it', { purposes: [BM, RA] })])).toBeUndefined();
    expect(basisOf([ev('cp-gr', { ...decommissioned, purposes: [BM] }), ev('cp-it'), ev('cp-mt')])).toEqual({
      purposes: [BM],
      reporters: ['cp-gr', 'cp-it', 'cp-mt'],
      score: 65,
    });
    expect(
      basisOf([ev('cp-gr', { ...decommissioned, purposes: [RA] }), ev('cp-it'), ev('cp-mt')]),
    ).toBeUndefined();
  });

  it('is refused by the contract with a criterion without points', () => {
    const json = envelopeToJson(
      vesselAlertFor({
        node: 'jot-mare',
        idKey: 'k',
        vessel: { key: 'imo:9074729', imoNumber: '9074729' },
        evidence: [ev('cp-it')],
        score: { score: 10, fired: [{ name: 'flag', points: 0, evidence: 'x' }] },
        threshold: 5,
        level: AlertLevel.WATCH,
        recipients: ['cp-it'],
        purposes: [Purpose.BORDER_MANAGEMENT],
        nowMs: NOW,
      }),
    );
    expect(() => assertValidEnvelopeJson(json)).toThrow(/criteria\[0\]\.points/);
  });
});
