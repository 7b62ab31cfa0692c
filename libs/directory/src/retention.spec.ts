import { describe, expect, it } from '@jest/globals';
import { DAY_MS, DEFAULT_RETENTION, keptUntil, readRetention, retentionDaysOf } from './retention.js';
import { loadDirectory } from './load-directory.js';

describe('retention by type', () => {
  const policy = { defaultDays: 1_095, byType: { debriefingReport: 730 } };

  it('keeps an item until its expiresAt or its creation plus its type retention, whichever is first', () => {
    const created = Date.parse('2026-01-01T00:00:00Z');
    expect(keptUntil(policy, 'debriefingReport', created)).toEqual(new Date(created + 730 * DAY_MS));
    expect(keptUntil(policy, 'routeReport', created)).toEqual(new Date(created + 1_095 * DAY_MS));
    expect(keptUntil(policy, 'routeReport', created, created + DAY_MS)).toEqual(new Date(created + DAY_MS));
    expect(keptUntil(policy, 'debriefingReport', created, created + 800 * DAY_MS)).toEqual(
      new Date(created + 730 * DAY_MS),
    );
  });

  it('reads the directory section, and names each bad entry with its rule', () => {
    expect(readRetention(undefined, [])).toBe(DEFAULT_RETENTION);
    const problems: string[] = [];
    const read = readRetention(
      { default: 365, hitNotice: 90, recall: 5, routeReport: 0, analysisProduct: 1.5 },
      problems,
    );
    expect(read).toEqual({ defaultDays: 365, byType: { hitNotice: 90 } });
    expect(problems).toEqual([
      expect.stringMatching(
        /^retention: "recall" is not a type recipients keep; one of default, routeReport, /,
      ),
      'retention.routeReport: must be a whole number of days from 1 to 36500',
      'retention.analysisProduct: must be a whole number of days from 1 to 36500',
    ]);
    const bad: string[] = [];
    readRetention([1], bad);
    expect(bad).toEqual(['retention: must be a mapping of default and payload types to days']);
  });

  it('is set in the shipped directory: two years for debriefings, three by default', () => {
    const dir = loadDirectory('deploy/directory.yaml');
    expect(dir.retentionDays('debriefingReport')).toBe(730);
    expect(dir.retentionDays('routeReport')).toBe(1_095);
    expect(retentionDaysOf(dir.retention, 'hitNotice')).toBe(180);
  });
});
