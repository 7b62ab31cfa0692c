import { create } from '@bufbuild/protobuf';
import type { Timestamp } from '@bufbuild/protobuf/wkt';
import {
  DebriefingReportSchema,
  DebriefingSelectorsSchema,
  ModusOperandiReportSchema,
  MoneySchema,
  PeriodSchema,
  RouteReportSchema,
  RouteSegmentSchema,
  type Envelope,
  type Money,
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
export const RELEASABLE_TYPES: readonly string[] = ['routeReport', 'modusOperandiReport', 'debriefingReport'];

const FREE_TEXT = 'free text, which may describe identifiable persons';
const NAMES_SELECTOR = 'names a selector (phone number, account, document, URL or vessel number)';

/**
 * Keeps a short free-text field unless it names a selector.
 * @returns the value the copy gets
 */
function screened(value: string, field: string, removed: RemovedField[]): string {
  if (value === '' || selectorsInFreeText(value).length === 0) return value;
  removed.push({ field, reason: NAMES_SELECTOR });
  return '';
}

/** Always leaves a long free-text field out of the copy. */
function leftOut(value: string, field: string, removed: RemovedField[]): void {
  if (value !== '') removed.push({ field, reason: FREE_TEXT });
}

const money = (m: Money | undefined) =>
  m ? create(MoneySchema, { amount: m.amount, currency: m.currency }) : undefined;
const time = (t: Timestamp | undefined) => (t ? { seconds: t.seconds, nanos: t.nanos } : undefined);

function legs(segments: readonly RouteSegment[], path: string, removed: RemovedField[]): RouteSegment[] {
  return segments.map((s, i) =>
    create(RouteSegmentSchema, {
      fromCountry: s.fromCountry,
      fromPlace: screened(s.fromPlace, `${path}[${i}].fromPlace`, removed),
      toCountry: s.toCountry,
      toPlace: screened(s.toPlace, `${path}[${i}].toPlace`, removed),
      mode: s.mode,
      conveyance: screened(s.conveyance, `${path}[${i}].conveyance`, removed),
    }),
  );
}

/**
 * The copy of an item AFIC may release to a partner whose agreement gives no legal basis for personal data. It
 * is built field by field from an allow-list per type, so nothing else — no field the list does not name, no
 * field unknown to this version of the contract — reaches the partner. It keeps what the action plan asks
 * partners to work on (routes, places, means of transport, prices, counts, nationalities of groups, modus
 * operandi) and leaves out, naming each:
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
      const r = p.value;
      leftOut(r.narrative, 'routeReport.narrative', removed);
      const value = create(RouteReportSchema, {
        segments: legs(r.segments, 'routeReport.segments', removed),
        departureArea: screened(r.departureArea, 'routeReport.departureArea', removed),
        departureCountry: r.departureCountry,
        period: r.period
          ? create(PeriodSchema, { start: time(r.period.start), end: time(r.period.end) })
          : undefined,
        peopleCarried: r.peopleCarried,
        pricePerPerson: money(r.pricePerPerson),
        nationalities: [...r.nationalities],
      });
      return { payload: { case: 'routeReport', value }, removed: ordered(removed) };
    }
    case 'modusOperandiReport': {
      const m = p.value;
      leftOut(m.narrative, 'modusOperandiReport.narrative', removed);
      const value = create(ModusOperandiReportSchema, {
        category: m.category,
        title: screened(m.title, 'modusOperandiReport.title', removed),
        indicators: m.indicators.filter(
          (text, i) => screened(text, `modusOperandiReport.indicators[${i}]`, removed) !== '',
        ),
        countries: [...m.countries],
        firstObservedAt: time(m.firstObservedAt),
      });
      return { payload: { case: 'modusOperandiReport', value }, removed: ordered(removed) };
    }
    case 'debriefingReport': {
      const d = p.value;
      d.facilitators.forEach((_, i) =>
        removed.push({
          field: `debriefingReport.facilitators[${i}]`,
          reason: 'describes an identifiable person',
        }),
      );
      if (d.selectors?.phoneNumbers.length)
        removed.push({ field: 'debriefingReport.selectors.phoneNumbers', reason: 'personal selectors' });
      if (d.selectors?.ibans.length)
        removed.push({ field: 'debriefingReport.selectors.ibans', reason: 'personal selectors' });
      if (d.nationality !== '')
        removed.push({ field: 'debriefingReport.nationality', reason: "the debriefed person's nationality" });
      leftOut(d.narrative, 'debriefingReport.narrative', removed);
      const vessels = d.selectors
        ? create(DebriefingSelectorsSchema, {
            vesselImoNumbers: [...d.selectors.vesselImoNumbers],
            vesselNames: [...d.selectors.vesselNames],
          })
        : undefined;
      const value = create(DebriefingReportSchema, {
        hotspot: screened(d.hotspot, 'debriefingReport.hotspot', removed),
        hotspotCountry: d.hotspotCountry,
        debriefedAt: time(d.debriefedAt),
        routeTaken: legs(d.routeTaken, 'debriefingReport.routeTaken', removed),
        pricePaid: money(d.pricePaid),
        selectors: vessels,
      });
      return { payload: { case: 'debriefingReport', value }, removed: ordered(removed) };
    }
    default:
      return undefined;
  }
}

/** The fields taken out in the order of the contract's paths, so that audit rows come in a stable order. */
function ordered(removed: RemovedField[]): RemovedField[] {
  return [...removed].sort((a, b) => a.field.localeCompare(b.field, 'en', { numeric: true }));
}
