import { describe, expect, it } from '@jest/globals';
import { create } from '@bufbuild/protobuf';
import { SuspectVesselReportSchema } from '#contracts';
import { reportersOf, SuspectVesselList, vesselKey } from './suspect-vessel-list.js';

const report = (over: Record<string, string> = {}) =>
  create(SuspectVesselReportSchema, { name: 'Ezadeen', ...over });

describe('SuspectVesselList', () => {
  it('keys a vessel by IMO number, then MMSI, then normalised name', () => {
    expect(vesselKey(report({ imoNumber: '9074729', mmsi: '341123000' }))).toBe('imo:9074729');
    expect(vesselKey(report({ mmsi: '341123000' }))).toBe('mmsi:341123000');
    expect(vesselKey(report({ name: ' ezadeen ' }))).toBe('name:EZADEEN');
  });

  it('combines reports about one vessel from several parties, counting each report once', () => {
    const list = new SuspectVesselList();
    list.add('r1', 'cp-it', report({ imoNumber: '9074729' }));
    list.add('r1', 'cp-it', report({ imoNumber: '9074729' }));
    const entry = list.add('r2', 'jot-mare', report({ imoNumber: '9074729', name: 'Blue Sky M' }));
    expect(reportersOf(entry)).toEqual(['cp-it', 'jot-mare']);
    expect(entry.reports.size).toBe(2);
    expect(entry.name).toBe('Blue Sky M');
    expect(list.size()).toBe(1);
  });

  it('forgets a recalled report, and the vessel once no report speaks of it', () => {
    const list = new SuspectVesselList();
    list.add('r1', 'cp-it', report({ imoNumber: '9074729' }));
    list.add('r2', 'cp-gr', report({ imoNumber: '9074729' }));
    expect(list.removeReport('r1')).toEqual(['imo:9074729']);
    expect(reportersOf(list.get('imo:9074729')!)).toEqual(['cp-gr']);
    expect(list.removeReport('r2')).toEqual(['imo:9074729']);
    expect(list.get('imo:9074729')).toBeUndefined();
    expect(list.removeReport('r2')).toEqual([]);
  });
});
