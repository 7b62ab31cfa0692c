/**
 * Public API of the contract validation: predicates, the envelope check, the DTOs it is built from,
 * and the rule names it reports. Valid envelope fixtures for tests are in `#testing`.
 */
export * from './rules.js';
export { RULE, CLASS_VALIDATOR_RULES, isCatalogueRule, type RuleName } from './rule-names.js';
export {
  safeViolation,
  safeViolations,
  knownFieldPath,
  unknownPropertyMessage,
  MAX_VIOLATION_FIELD_LENGTH,
  MAX_VIOLATION_MESSAGE_LENGTH,
  type SafeViolationOptions,
} from './safe-violations.js';
export {
  validateEnvelopeJson,
  assertValidEnvelopeJson,
  type ValidateEnvelopeOptions,
} from './validate-envelope.js';
export { CLOCK_SKEW_MS } from './coherence.js';
export { MAX_JSON_DEPTH } from './json-shape.js';
export { personalDataPaths } from './envelope-rules.js';
export { protoEnumNames } from './decorators.js';

export * from './common.dto.js';
export * from './intel.dto.js';
export * from './control.dto.js';
export * from './envelope.dto.js';
