/**
 * The contract check of an envelope in protobuf JSON, as it arrives at the edge (gateway body, NATS
 * message decoded to JSON). It is strict where protobuf's `fromJson` is lenient: lowerCamelCase names
 * only, enums by name only, no unknown properties; whatever passes here also passes `fromJson`.
 */
import type { JsonObject } from '@bufbuild/protobuf';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidatorOptions } from 'class-validator';
import { ContractViolationError, type Violation } from '../errors.js';
import type { CoherenceContext } from './coherence.js';
import { compileContractCheck } from './compiled-contract.js';
import { EnvelopeDto } from './envelope.dto.js';
import { ENVELOPE_RULES } from './envelope-rules.js';
import { flattenErrors } from './flatten-errors.js';
import { checkJsonShape } from './json-shape.js';
import { PAYLOAD_RULES } from './payload-rules.js';
import { timestampMillis } from './rules.js';
import { safeViolations } from './safe-violations.js';

/** Options of validateEnvelopeJson. */
export interface ValidateEnvelopeOptions {
  /** The current time, for `createdAtNotInFuture`; defaults to the system clock. */
  now?: Date;
}

/** validateSync's options for the contract: no property beyond the DTOs', no object of an unknown class. */
export const CONTRACT_VALIDATOR_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  validationError: { target: true, value: true },
};

/** The envelope's field rules, compiled from the same DTO metadata (see compiled-contract.ts). */
const checkEnvelopeFields = compileContractCheck(EnvelopeDto);

/**
 * Every contract violation of an envelope in protobuf JSON, or none. Synchronous and pure apart from
 * reading the clock. Order is stable: raw-JSON problems, then field rules in the order of the proto's
 * fields (unknown properties first within each object), then coherence rules in the order of
 * ENVELOPE_RULES and PAYLOAD_RULES. Field paths hold only the schema's field names and list indexes, never
 * a key the caller made up (an unknown property is reported at its parent), rules only catalogue names.
 *
 * Answers exactly as validateEnvelopeJsonFull, faster: the compiled field check goes first, and only when
 * it does not vouch for every field rule does the full path run to find and word the violations.
 */
export function validateEnvelopeJson(json: unknown, options: ValidateEnvelopeOptions = {}): Violation[] {
  const envelope = checkEnvelopeFields(json);
  if (envelope === undefined) return validateEnvelopeJsonFull(json, options);
  // Plain JSON within MAX_JSON_DEPTH, no unknown key, every field rule holds: the full path would find no
  // raw-JSON or field violation, and its coherence rules would read an equal DTO instance.
  return safeViolations(coherenceViolations(envelope, options));
}

/**
 * validateEnvelopeJson through class-transformer and class-validator alone: the reference the compiled
 * check is tested against, and the path that words every field violation.
 */
export function validateEnvelopeJsonFull(json: unknown, options: ValidateEnvelopeOptions = {}): Violation[] {
  const shape = checkJsonShape(json);
  if (!shape.usable) return safeViolations(shape.violations);
  const envelope = plainToInstance(EnvelopeDto, json as Record<string, unknown>);
  const errors = validateSync(envelope, CONTRACT_VALIDATOR_OPTIONS);
  const violations = flattenErrors(errors, '', [...shape.violations]);
  violations.push(...coherenceViolations(envelope, options));
  // Violations are answered to callers and audited: only the schema's names and the rule catalogue.
  return safeViolations(violations);
}

/** The violations of ENVELOPE_RULES and PAYLOAD_RULES, in that order. */
function coherenceViolations(envelope: EnvelopeDto, options: ValidateEnvelopeOptions): Violation[] {
  const context: CoherenceContext = {
    nowMs: (options.now ?? new Date()).getTime(),
    createdMs: timestampMillis(envelope.createdAt),
  };
  const violations: Violation[] = [];
  for (const rule of [...ENVELOPE_RULES, ...PAYLOAD_RULES]) violations.push(...rule(envelope, context));
  return violations;
}

/** Throws ContractViolationError (code CONTRACT.INVALID) listing every violation, unless there are none. */
export function assertValidEnvelopeJson(
  json: unknown,
  options: ValidateEnvelopeOptions = {},
): asserts json is JsonObject {
  const violations = validateEnvelopeJson(json, options);
  if (violations.length > 0) throw new ContractViolationError(violations);
}
