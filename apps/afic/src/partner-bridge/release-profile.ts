import { clone } from '@bufbuild/protobuf';
import {
  DebriefingReportSchema,
  ModusOperandiReportSchema,
  RouteReportSchema,
  type Envelope,
  type RouteSegment,
} from '#contracts';
import { selectorsInFreeText } from '#policy';

/** One field AFIC took out of an item before releasing it to a partner, and why. */
export interface RemovedField {
  /** The field's path in the payload, for example `debriefingReport.facilitators[0]`. */
  field: string;
  reason: string;
}

/** What may go to a partner without a legal basis for personal data: the payload and what was taken out. */
export interface PartnerCopy {
  payload: Envelope['payload'];
  removed: RemovedField[];
}

/** The types AFIC passes on to partners: those the action plan shares with third countries. */
export const RELEASABLE_TYPES = ['routeReport', 'modusOperandiReport', 'debriefingReport'] as const;

const FREE_TEXT = 'free text, which may describe identifiable persons';
const NAMES_SELECTOR = 'names a selector (phone number, account, document, URL or vessel number)';

/**
 * Clears a short free-text field that names a selector; keeps it otherwise.
 * @returns the field's new value
 */
function screened(value: string, field: string, removed: RemovedField[]): string {
  if (value === '' || selectorsInFreeText(value).length === 0) return value;
  removed.push({ field, reason: NAMES_SELECTOR });
  return '';
}

/** Always takes a long free-text field out. */
function dropped(value: string, field: string, removed: RemovedField[]): string {
  if (value !== '') removed.push({ field, reason: FREE_TEXT });
  return '';
}

function screenSegments(segments: RouteSegment[], path: string, removed: RemovedField[]): void {
  segments.forEach((s, i) => {
    s.fromPlace = screened(s.fromPlace, `${path}[${i}].fromPlace`, removed);
    s.toPlace = screened(s.toPlace, `${path}[${i}].toPlace`, removed);
    s.conveyance = screened(s.conveyance, `${path}[${i}].conveyance`, removed);
  });
}

/**
 * The copy of an item AFIC may release to a partner whose agreement gives no legal basis for personal data:
 * an allow-list per type, every other part taken out and named. It keeps what the action plan asks partners
 * to work on (routes, places, means of transport, prices, counts, nationalities of groups, modus operandi)
 * and takes out:
 * - the narratives (free text, which may describe identifiable persons);
 * - a debriefing's facilitators, its phone numbers and accounts, and the debriefed person's nationality;
 * - any short text field that names a selector.
 * Vessel numbers and names stay: they identify ships, not persons.
 * @returns undefined for a type AFIC does not pass on
 */
export function partnerCopyOf(envelope: Envelope): PartnerCopy | undefined {
  const removed: RemovedField[] = [];
  const p = envelope.payload;
  switch (p.case) {
    case 'routeReport': {
      const r = clone(RouteReportSchema, p.value);
      screenSegments(r.segments, 'routeReport.segments', removed);
      r.departureArea = screened(r.departureArea, 'routeReport.departureArea', removed);
      r.narrative = dropped(r.narrative, 'routeReport.narrative', removed);
      return { payload: { case: 'routeReport', value: r }, removed };
    }
    case 'modusOperandiReport': {
      const m = clone(ModusOperandiReportSchema, p.value);
      m.title = screened(m.title, 'modusOperandiReport.title', removed);
      m.indicators = m.indicators.filter(
        (text, i) => screened(text, `modusOperandiReport.indicators[${i}]`, removed) !== '',
      );
      m.narrative = dropped(m.narrative, 'modusOperandiReport.narrative', removed);
      return { payload: { case: 'modusOperandiReport', value: m }, removed };
    }
    case 'debriefingReport': {
      const d = clone(DebriefingReportSchema, p.value);
      screenSegments(d.routeTaken, 'debriefingReport.routeTaken', removed);
      d.hotspot = screened(d.hotspot, 'debriefingReport.hotspot', removed);
      d.facilitators.forEach((_, i) =>
        removed.push({
          field: `debriefingReport.facilitators[${i}]`,
          reason: 'describes an identifiable person',
        }),
      );
      d.facilitators = [];
      if (d.selectors) {
        if (d.selectors.phoneNumbers.length > 0)
          removed.push({ field: 'debriefingReport.selectors.phoneNumbers', reason: 'personal selectors' });
        if (d.selectors.ibans.length > 0)
          removed.push({ field: 'debriefingReport.selectors.ibans', reason: 'personal selectors' });
        d.selectors.phoneNumbers = [];
        d.selectors.ibans = [];
      }
      if (d.nationality !== '')
        removed.push({ field: 'debriefingReport.nationality', reason: "the debriefed person's nationality" });
      d.nationality = '';
      d.narrative = dropped(d.narrative, 'debriefingReport.narrative', removed);
      return { payload: { case: 'debriefingReport', value: d }, removed };
    }
    default:
      return undefined;
  }
}
