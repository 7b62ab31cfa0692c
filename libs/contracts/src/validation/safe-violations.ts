/**
 * Violations that carry no caller text. A violation may be answered to the caller and written to the
 * append-only audit trail, where nothing can be erased: so its field path is rebuilt from the schema's own
 * field names (and list indexes), its rule comes from the fixed catalogue, and both are length-bounded.
 * Whatever a caller names a key, that name never reaches a violation unless it is a field of the contract.
 */
import type { DescField, DescMessage } from '@bufbuild/protobuf';
import type { Violation } from '../errors.js';
import { EnvelopeSchema } from '../gen/msx/v1/envelope_pb.js';
import { isCatalogueRule, RULE } from './rule-names.js';

/** Longest field path a violation reports, in characters. */
export const MAX_VIOLATION_FIELD_LENGTH = 200;
/** Longest violation message, in characters. */
export const MAX_VIOLATION_MESSAGE_LENGTH = 500;
/** Largest list index a field path reports: more digits than any list of the contract can need. */
const MAX_INDEX_DIGITS = 6;

/**
 * Keys class-transformer would silently drop; the JSON-shape check reports them by these fixed names, so
 * they may end a path although no message defines them.
 */
const DROPPED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor']);

/** Options of safeViolations. */
export interface SafeViolationOptions {
  /**
   * Field names outside the envelope that the caller of this function defines itself (for example an HTTP
   * header the gateway checks); accepted as whole fields, never as the start of a longer path.
   */
  extraFields?: ReadonlySet<string>;
}

/** The message of an `unknownProperty` violation reported at `parent` (the key itself is never repeated). */
export function unknownPropertyMessage(parent: string): string {
  return `${parent === '' ? 'the message' : parent} holds a property the contract does not define`;
}

/**
 * The longest prefix of `field` that names fields of the envelope schema (JSON names; proto names are
 * accepted at the end, for the snake_case hint), with list indexes only on list fields; `known` is false
 * when something was cut off.
 */
export function knownFieldPath(field: string): { path: string; known: boolean } {
  if (field === '') return { path: '', known: true };
  const token = /(?:^|\.)([^.[\]]+)|\[([0-9]+)\]/y;
  let message: DescMessage | undefined = EnvelopeSchema;
  let current: { field: DescField; indexed: boolean } | undefined;
  let path = '';
  let end = false;
  while (token.lastIndex < field.length) {
    const m = token.exec(field);
    if (m === null || end) return { path, known: false };
    if (m[2] !== undefined) {
      if (current?.field.fieldKind !== 'list' || current.indexed || m[2].length > MAX_INDEX_DIGITS)
        return { path, known: false };
      current.indexed = true;
      message = current.field.listKind === 'message' ? current.field.message : undefined;
      path += `[${Number(m[2])}]`;
      continue;
    }
    const name = m[1];
    const byJsonName = message?.fields.find((f) => f.jsonName === name);
    const byProtoName = byJsonName ?? message?.fields.find((f) => f.name === name);
    if (byProtoName === undefined) {
      if (!DROPPED_KEYS.has(name) || message === undefined) return { path, known: false };
      path += path === '' ? name : `.${name}`;
      end = true;
      continue;
    }
    path += path === '' ? name : `.${name}`;
    // A proto (snake_case) name ends the path: it only ever names the misspelled key itself.
    end = byJsonName === undefined;
    current = { field: byProtoName, indexed: false };
    message =
      byProtoName.fieldKind === 'message' && !byProtoName.message.typeName.startsWith('google.protobuf.')
        ? byProtoName.message
        : undefined;
  }
  return path.length > MAX_VIOLATION_FIELD_LENGTH ? { path: '', known: false } : { path, known: true };
}

/**
 * The violation with a known, bounded field path and a catalogue rule name. A path through something the
 * contract does not define is cut where the unknown part starts and reported as `unknownProperty`, with a
 * message that does not repeat it; a rule name outside the catalogue becomes `unnamedRule`.
 */
export function safeViolation(v: Violation, options: SafeViolationOptions = {}): Violation {
  const field = typeof v.field === 'string' ? v.field : '';
  const { path, known } = options.extraFields?.has(field)
    ? { path: field, known: true }
    : knownFieldPath(field);
  if (!known) return { field: path, rule: RULE.unknownProperty, message: unknownPropertyMessage(path) };
  const rule = isCatalogueRule(v.rule) ? v.rule : RULE.unnamedRule;
  const message = typeof v.message === 'string' ? v.message : '';
  return {
    field: path,
    rule,
    message:
      message.length > MAX_VIOLATION_MESSAGE_LENGTH
        ? `${message.slice(0, MAX_VIOLATION_MESSAGE_LENGTH - 1)}…`
        : message,
  };
}

/** Every violation made safe (see safeViolation), each distinct one once, in their first order. */
export function safeViolations(
  violations: readonly Violation[],
  options: SafeViolationOptions = {},
): Violation[] {
  const seen = new Set<string>();
  const out: Violation[] = [];
  for (const v of violations) {
    const safe = safeViolation(v, options);
    const key = JSON.stringify([safe.field, safe.rule, safe.message]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(safe);
  }
  return out;
}
