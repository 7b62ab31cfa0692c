/**
 * The shape of a coherence rule: a check across fields of one envelope, run after the field-by-field
 * validation. Rules read the DTO defensively: a field of the wrong type was reported already, so a rule
 * treats it as absent rather than throwing or reporting it twice.
 */
import type { Violation } from '../errors.js';
import { isAbsent } from './decorators.js';
import type { EnvelopeDto } from './envelope.dto.js';
import type { RuleName } from './rule-names.js';

/** What a rule may know beyond the envelope. */
export interface CoherenceContext {
  /** The current time, in milliseconds since the epoch. */
  readonly nowMs: number;
  /** The envelope's createdAt in milliseconds, when valid. */
  readonly createdMs: number | undefined;
}

/** A named cross-field check: returns one violation per broken instance, in a stable order. */
export type CoherenceRule = (envelope: EnvelopeDto, context: CoherenceContext) => Violation[];

/**
 * Clock difference tolerated between a sender and the exchange, and between the times in one message,
 * in milliseconds: 5 minutes, as NTP-less field laptops of liaison officers drift.
 */
export const CLOCK_SKEW_MS = 5 * 60_000;

/** Builds a violation. */
export function violation(field: string, rule: RuleName, message: string): Violation {
  return { field, rule, message };
}

/** A property of a value that may be anything: undefined unless the value is a (non-array) object. */
export function prop(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, key)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** The elements of a list field, or none when it is absent or not a list. */
export function items(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** True when a field is given (not undefined, null, "" or []). */
export function given(value: unknown): boolean {
  return !isAbsent(value);
}

/**
 * True when a field is set at all, even to "" or [], for enums and messages: `fromJson` refuses "" for
 * them, so "" is reported by the field rules and must not also count as missing.
 */
export function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** True unless the value is a string with some non-whitespace character. */
export function isBlank(value: unknown): boolean {
  return typeof value !== 'string' || value.trim() === '';
}
