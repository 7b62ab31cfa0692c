/**
 * Turns class-validator's error tree into flat Violations: one per broken constraint, at a dotted path
 * with array indexes (`routeReport.segments[0].fromCountry`). Element rules of lists (`{ each: true }`)
 * are reported at the failing element (`recipients[2]`), found by re-running the rule on each element.
 *
 * Noise is left out: when a field is missing (`required`) or has the wrong JSON type (`isString`,
 * `isArray`, `jsonObject`, ...), only that is reported, not every format rule it then fails too, and a
 * nested message of the wrong type is not searched for further errors. The same holds per element of
 * a list: a number among strings is reported as `isString` only.
 */
import { getMetadataStorage, type MetadataStorage, type ValidationError } from 'class-validator';
import type { Violation } from '../errors.js';
import { RULE } from './rule-names.js';
import { unknownPropertyMessage } from './safe-violations.js';

/** One registered decorator use (class-validator does not export the type by name). */
type ValidationMetadata = ReturnType<MetadataStorage['getTargetValidationMetadatas']>[number];

/** Rules about the JSON type of a value; when one fails, format rules on the same value say nothing more. */
const TYPE_RULES = new Set(['isString', 'isNumber', 'isInt', 'isBoolean', 'isArray', RULE.jsonObject]);
/** class-validator's names that the contract reports under its own name. */
const RENAMED: Readonly<Record<string, string>> = {
  unknownValue: RULE.jsonObject,
};
/** class-validator's "nested property must be either object or array": `jsonObject` says it better. */
const DROPPED = 'nestedValidation';

/** Appends the violations of `errors` (children of the value at `parent`) to `out`, in tree order. */
export function flattenErrors(
  errors: readonly ValidationError[],
  parent: string,
  out: Violation[],
): Violation[] {
  for (const error of errors) {
    const names = Object.keys(error.constraints ?? {}).filter((name) => name !== DROPPED);
    if (names.includes('whitelistValidation')) {
      out.push(unknownPropertyAt(error, parent));
      continue;
    }
    const path = joinPath(parent, error.property);
    if (names.includes(RULE.required)) {
      out.push(violationOf(error, RULE.required, path));
      continue;
    }
    // Per rule: the failing list elements, or undefined when the rule failed on the value as a whole.
    const failures = new Map(names.map((name) => [name, failingElements(error, name)] as const));
    const typeFailures = names.filter((name) => TYPE_RULES.has(name));
    if (typeFailures.some((name) => failures.get(name) === undefined)) {
      for (const name of typeFailures) out.push(...violationsAt(error, name, path, failures.get(name)));
      continue;
    }
    const mistyped = new Set(typeFailures.flatMap((name) => failures.get(name) ?? []));
    for (const name of names) {
      const indexes = failures.get(name)?.filter((i) => TYPE_RULES.has(name) || !mistyped.has(i));
      out.push(...violationsAt(error, name, path, indexes));
    }
    if (error.children) flattenErrors(error.children, path, out);
  }
  return out;
}

/** One violation for the whole value (`indexes` undefined) or one per failing element. */
function violationsAt(
  error: ValidationError,
  name: string,
  path: string,
  indexes: number[] | undefined,
): Violation[] {
  return indexes === undefined
    ? [violationOf(error, name, path)]
    : indexes.map((i) => violationOf(error, name, `${path}[${i}]`));
}

function violationOf(error: ValidationError, name: string, field: string): Violation {
  return { field, rule: RENAMED[name] ?? name, message: messageFor(error, name, field) };
}

/**
 * A property the contract does not define. Its key is caller text, so it is reported at the parent's path
 * and never repeated; only a snake_case spelling of a field of the contract is named, with the name to use.
 */
function unknownPropertyAt(error: ValidationError, parent: string): Violation {
  const camel = knownCamelCase(error);
  if (camel === undefined)
    return { field: parent, rule: RULE.unknownProperty, message: unknownPropertyMessage(parent) };
  const field = joinPath(parent, error.property);
  return {
    field,
    rule: RULE.unknownProperty,
    message: `${field} is not a field of the contract (protobuf JSON field names are lowerCamelCase: ${camel})`,
  };
}

/** `parent.property`, or `parent[index]` for list elements; `parent` alone when there is no property. */
function joinPath(parent: string, property: string | undefined): string {
  if (property === undefined || property === '') return parent;
  if (/^[0-9]+$/.test(property)) return `${parent}[${property}]`;
  return parent === '' ? property : `${parent}.${property}`;
}

/** The message of one broken constraint, starting with the full path instead of the bare property. */
function messageFor(error: ValidationError, name: string, field: string): string {
  const message = error.constraints?.[name] ?? '';
  for (const prefix of [`each value in ${error.property}`, error.property]) {
    if (message.startsWith(`${prefix} `)) return field + message.slice(prefix.length);
  }
  return field === '' ? message : `${field}: ${message}`;
}

/**
 * For a snake_case key that protobuf would map to a known field: that field's lowerCamelCase name. Only
 * keys of lower-case ASCII letters, digits and `_` qualify, so nothing else a caller writes is named.
 */
function knownCamelCase(error: ValidationError): string | undefined {
  const key = error.property;
  const target = error.target?.constructor;
  if (!/^[a-z][a-z0-9_]{0,63}$/.test(key) || !key.includes('_') || target === undefined) return undefined;
  const camel = key.replace(/_([a-z0-9])/g, (_match, c: string) => c.toUpperCase());
  const known = getMetadataStorage()
    .getTargetValidationMetadatas(target, '', true, false)
    .some((metadata) => metadata.propertyName === camel);
  return known ? camel : undefined;
}

/** The validation metadata behind one constraint name on the error's property, if any. */
function findMetadata(error: ValidationError, name: string): ValidationMetadata | undefined {
  const target = error.target?.constructor;
  if (target === undefined) return undefined;
  const storage = getMetadataStorage();
  return storage
    .getTargetValidationMetadatas(target, '', true, false)
    .find(
      (metadata) =>
        metadata.propertyName === error.property &&
        storage
          .getTargetValidatorConstraints(metadata.constraintCls)
          .some((constraint) => constraint.name === name),
    );
}

/**
 * For an element rule (`each: true`) on a list: the indexes of the elements that break it, found by
 * running the rule again on each. Undefined when the rule applies to the value as a whole.
 */
function failingElements(error: ValidationError, name: string): number[] | undefined {
  const metadata = findMetadata(error, name);
  if (metadata?.each !== true || !Array.isArray(error.value)) return undefined;
  const constraint = getMetadataStorage().getTargetValidatorConstraints(metadata.constraintCls)[0];
  if (constraint === undefined) return undefined;
  const list = error.value as unknown[];
  const indexes: number[] = [];
  list.forEach((element, i) => {
    const valid = constraint.instance.validate(element, {
      targetName: metadata.target instanceof Function ? metadata.target.name : metadata.target,
      property: error.property,
      object: error.target ?? {},
      value: element,
      constraints: metadata.constraints,
    });
    if (valid === false) indexes.push(i);
  });
  return indexes.length > 0 ? indexes : undefined;
}
