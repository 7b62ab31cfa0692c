import { describe, expect, it } from '@jest/globals';
import {
  AnalysisProductKind,
  assertValidEnvelopeJson,
  envelopeToJson,
  SmugglingRoute,
  VesselStatus,
} from '#contracts';
import {
  maritimeFigures,
  maritimePictureFor,
  pictureSummary,
  type PictureEvidence,
} from './maritime-picture.js';

const DAY = 86_400_000;
const END = Date.parse('2026-12-03T00:00:00Z');
const period = { startMs: END - 7 * DAY, endMs: END };

const evidence: PictureEvidence[] = [
  {
    vesselKey: 'imo:9074729',
    reporter: 'cp-gr',
    status: VesselStatus.DECOMMISSIONED,
    flag: 'SL',
    recordedAtMs: END - 10 * DAY,
  },
  {
    vesselKey: 'imo:9074729',
    reporter: 'cp-it',
    position: { latitude: 32.93, longitude: 12.1 },
    recordedAtMs: END - 2 * DAY,
  },
  { vesselKey: 'mmsi:215123456', reporter: 'cp-mt', status: VesselStatus.SEIZED, recordedAtMs: END - DAY },
  {
    vesselKey: 'name:AL BARAKA',
    reporter: 'cp-it',
    position: { latitude: 32.8, longitude: 12.45 },
    recordedAtMs: END - DAY,
  },
  // After the period: not counted.
  { vesselKey: 'imo:1234567', reporter: 'cp-es', recordedAtMs: END + DAY },
];

describe("JOT MARE's maritime picture", () => {
  const figures = maritimeFigures(
    SmugglingRoute.CENTRAL_MEDITERRANEAN,
    evidence,
    new Set(['imo:9074729']),
    period,
  );

  it('counts what the watch-list holds at the end of the period and what was reported during it', () => {
    expect(figures).toEqual({
      route: 'Central Mediterranean',
      periodStart: '2026-11-26T00:00:00.000Z',
      periodEnd: '2026-12-03T00:00:00.000Z',
      vesselsWatched: 3,
      decommissionedOrScrapping: 1,
      seized: 1,
      flagsOfConcern: 1,
      reportsInPeriod: 3,
      reportingParties: 2,
      sightingsNearDepartureAreas: { Zuwara: 1, Sabratha: 1 },
      vesselsAlerted: 1,
    });
    expect(pictureSummary(figures)).toBe(
      'Central Mediterranean, 2026-11-26 to 2026-12-03: 3 vessels on the watch-list (1 decommissioned or due for ' +
        'scrapping, 1 seized, 1 under flags of concern), 1 alerted; 3 reports from 2 parties in the period; ' +
        'sightings near departure areas: Sabratha 1, Zuwara 1.',
    );
  });

  it('is aggregated statistics without personal data, naming no vessel or party, that Eurostat may receive', () => {
    const picture = maritimePictureFor({
      node: 'jot-mare',
      idKey: 'secret',
      route: SmugglingRoute.CENTRAL_MEDITERRANEAN,
      figures,
      recipients: ['eurostat', 'cp-it', 'cp-mt', 'frontex-ra'],
      nowMs: END + 1000,
    });
    const json = envelopeToJson(picture);
    expect(() => assertValidEnvelopeJson(json)).not.toThrow();
    expect(picture.containsPersonalData).toBe(false);
    expect(picture.payload.case === 'analysisProduct' && picture.payload.value).toMatchObject({
      kind: AnalysisProductKind.STATISTICS,
      aggregated: true,
      sourceMessageIds: [],
    });
    const text = JSON.stringify(json);
    for (const identity of ['9074729', '215123456', 'AL BARAKA', 'cp-gr', 'cp-it"', 'cp-mt"'])
      expect(text.replace(/"recipients":\[[^\]]*\]/, '')).not.toContain(identity);
  });
});
