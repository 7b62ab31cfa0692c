import type { Violation } from './api.js';

/** Violations sorted to the form's fields: each under the field it names, or the nearest field around it. */
export interface PlacedViolations {
  byField: ReadonlyMap<string, Violation[]>;
  /** What names no field of the form (the whole message, or a field the form does not show). */
  general: Violation[];
}

/**
 * The field of `fields` a violation's path belongs to: the path itself (`routeReport.segments[0].fromCountry`),
 * else without its list index (`recipients[1]` → `recipients`, a list typed into one input), else the
 * enclosing field (`routeReport.pricePerPerson.amount` → `routeReport.pricePerPerson`), and so on outwards.
 */
export function fieldOf(path: string, fields: ReadonlySet<string>): string | undefined {
  let p = path;
  while (p !== '') {
    if (fields.has(p)) return p;
    const index = /\[\d+\]$/.exec(p);
    if (index) p = p.slice(0, index.index);
    else {
      const dot = p.lastIndexOf('.');
      p = dot < 0 ? '' : p.slice(0, dot);
    }
  }
  return undefined;
}

/** Sorts violations to the fields the form shows. */
export function placeViolations(
  violations: readonly Violation[],
  fields: ReadonlySet<string>,
): PlacedViolations {
  const byField = new Map<string, Violation[]>();
  const general: Violation[] = [];
  for (const v of violations) {
    const field = fieldOf(v.field, fields);
    if (field === undefined) general.push(v);
    else byField.set(field, [...(byField.get(field) ?? []), v]);
  }
  return { byField, general };
}
