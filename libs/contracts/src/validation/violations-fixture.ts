import type { Violation } from '../errors.js';
import { validateEnvelopeJson, validateEnvelopeJsonFull } from './validate-envelope.js';

/** The instant the validation tests judge envelopes at: their fixtures' times are valid then. */
export const VALIDATION_NOW = new Date('2025-07-01T00:00:00Z');

/**
 * The violations that do not explain themselves to the officer who reads them. A message explains itself
 * when it starts with the field it names (or "message" / "the message" for the envelope as a whole) and goes
 * on to say what is wrong.
 */
function unexplained(violations: readonly Violation[]): Violation[] {
  return violations.filter(({ field, message }) => {
    const subject = field !== '' ? field : message.startsWith('the message') ? 'the message' : 'message';
    return !(message.startsWith(`${subject} `) && message.length > subject.length + 10);
  });
}

/**
 * The (field, rule) pairs of an input's violations, after a trip through JSON text as on the wire. Throws when
 * a violation does not explain itself, so every test of a rule also checks what the officer is told, or when
 * validateEnvelopeJson and validateEnvelopeJsonFull disagree on it.
 */
export function found(input: unknown, now: Date = VALIDATION_NOW): { field: string; rule: string }[] {
  const wire: unknown = input === undefined ? undefined : JSON.parse(JSON.stringify(input));
  const violations = validateEnvelopeJson(wire, { now });
  // The compiled check must never change an answer: every input of the rule tests also tests that.
  const full = validateEnvelopeJsonFull(wire, { now });
  if (JSON.stringify(violations) !== JSON.stringify(full))
    throw new Error(
      `the compiled check disagrees with the full path: ${JSON.stringify({ violations, full })}`,
    );
  const vague = unexplained(violations);
  if (vague.length > 0)
    throw new Error(`violations that do not explain themselves: ${JSON.stringify(vague)}`);
  return violations.map(({ field, rule }) => ({ field, rule }));
}
