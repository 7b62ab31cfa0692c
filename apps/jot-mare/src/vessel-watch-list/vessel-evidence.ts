import { timestampMs } from '@bufbuild/protobuf/wkt';
import { isImoNumber, type Envelope } from '#contracts';
import type { VesselEvidence } from './risk-score.js';

/** A vessel as JOT MARE's watch-list knows it: by IMO number, else MMSI, else its name. */
export interface VesselRef {
  key: string;
  imoNumber?: string;
  mmsi?: string;
  name?: string;
}

/** What an item says about each vessel it names. */
export interface VesselMention {
  vessel: VesselRef;
  evidence: Omit<VesselEvidence, 'itemId' | 'reporter'>;
}

const normalName = (name: string) => name.trim().replace(/\s+/g, ' ').toUpperCase();

export function vesselRef(imoNumber?: string, mmsi?: string, name?: string): VesselRef | undefined {
  const key = imoNumber
    ? `imo:${imoNumber}`
    : mmsi
      ? `mmsi:${mmsi}`
      : name?.trim()
        ? `name:${normalName(name)}`
        : undefined;
  return key
    ? {
        key,
        ...(imoNumber ? { imoNumber } : {}),
        ...(mmsi ? { mmsi } : {}),
        ...(name?.trim() ? { name: name.trim() } : {}),
      }
    : undefined;
}

/** IMO numbers written in free text ("IMO 9074729"), those whose check digit holds. */
export function imoNumbersIn(text: string): string[] {
  return [...new Set([...text.matchAll(/\bIMO[\s:#-]*(\d{7})\b/gi)].map((m) => m[1]))].filter(isImoNumber);
}

/**
 * The vessels an item names, with what it says of each: a suspect-vessel report its vessel, status, flag and
 * last position; a route report the vessels its legs or narrative name by IMO number; a debriefing the
 * vessels among its selectors. Other items name none.
 */
export function vesselMentions(envelope: Envelope): VesselMention[] {
  const p = envelope.payload;
  switch (p.case) {
    case 'suspectVesselReport': {
      const r = p.value;
      const vessel = vesselRef(r.imoNumber, r.mmsi, r.name);
      const point = r.lastPosition?.point;
      return vessel
        ? [
            {
              vessel,
              evidence: {
                source: 'vessel-report',
                status: r.status,
                ...(r.flag ? { flag: r.flag } : {}),
                ...(point
                  ? {
                      position: {
                        latitude: point.latitude,
                        longitude: point.longitude,
                        ...(r.lastPosition?.observedAt
                          ? { observedAtMs: timestampMs(r.lastPosition.observedAt) }
                          : {}),
                      },
                    }
                  : {}),
              },
            },
          ]
        : [];
    }
    case 'routeReport': {
      const text = [...p.value.segments.map((s) => s.conveyance), p.value.narrative].join('\n');
      return imoNumbersIn(text).map((imo) => ({
        vessel: vesselRef(imo)!,
        evidence: { source: 'route-report' },
      }));
    }
    case 'debriefingReport': {
      const s = p.value.selectors;
      const byImo = (s?.vesselImoNumbers ?? []).map((imo) => vesselRef(imo)!);
      const byName = (s?.vesselNames ?? []).flatMap((n) => vesselRef(undefined, undefined, n) ?? []);
      return [...byImo, ...byName].map((vessel) => ({ vessel, evidence: { source: 'debriefing' } }));
    }
    default:
      return [];
  }
}
