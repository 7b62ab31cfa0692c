/**
 * Checks on the raw JSON before it is turned into DTOs: it must be an object, must not nest deeper than
 * any message can (class-transformer recurses without limit), and must not use the keys
 * class-transformer silently drops (`__proto__`, `constructor`), which whitelisting would never see.
 */
import type { Violation } from '../errors.js';
import { violation } from './coherence.js';
import { RULE } from './rule-names.js';

/** Deepest nesting of objects and arrays that any message can have, with room to spare (actual: 5). */
export const MAX_JSON_DEPTH = 16;

const DROPPED_KEYS = new Set(['__proto__', 'constructor']);

/** The result of the raw checks: violations, and whether validation can go on. */
export interface JsonShapeResult {
  violations: Violation[];
  /** False when the input cannot safely be turned into DTOs. */
  usable: boolean;
}

/** True for a non-null, non-array object. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks the raw input (see module comment). */
export function checkJsonShape(json: unknown): JsonShapeResult {
  if (!isJsonObject(json)) {
    return {
      violations: [violation('', RULE.jsonObject, 'the message must be a JSON object')],
      usable: false,
    };
  }
  const violations: Violation[] = [];
  const seen = new Set<object>();
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: json, path: '', depth: 1 }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value, path, depth } = next;
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    if (depth > MAX_JSON_DEPTH) {
      return {
        violations: [
          violation('', RULE.jsonDepth, `the message must not nest deeper than ${MAX_JSON_DEPTH} levels`),
        ],
        usable: false,
      };
    }
    seen.add(value);
    const entries: [string, unknown][] = Array.isArray(value)
      ? value.map((item, i): [string, unknown] => [`${path}[${i}]`, item])
      : Object.keys(value).map((key): [string, unknown] => [
          path ? `${path}.${key}` : key,
          (value as Record<string, unknown>)[key],
        ]);
    if (!Array.isArray(value)) {
      for (const key of Object.keys(value).filter((k) => DROPPED_KEYS.has(k))) {
        const field = path ? `${path}.${key}` : key;
        violations.push(violation(field, RULE.unknownProperty, `${field} is not a field of the contract`));
      }
    }
    for (const [childPath, child] of entries.reverse())
      stack.push({ value: child, path: childPath, depth: depth + 1 });
  }
  return { violations, usable: true };
}
