/**
 * class-validator decorators for the contract's field rules. Each wraps a predicate of `rules.ts`; its
 * constraint name is the rule name reported in `Violation.rule`, and each accepts `{ each: true }` for
 * lists. Default messages start with `$property`, which validate-envelope replaces by the full path.
 */
import type { DescEnum } from '@bufbuild/protobuf';
import { ValidateBy, buildMessage, type ValidationArguments, type ValidationOptions } from 'class-validator';
import { RULE, type RuleName } from './rule-names.js';
import {
  hasNoControlCharacters,
  isBic,
  isCountryCode,
  isCurrencyCode,
  isDecimalAmount,
  isDocumentNumber,
  isE164,
  isEuMemberState,
  isHttpUrl,
  isIban,
  isImoNumber,
  isLanguageCode,
  isMmsi,
  isNodeId,
  isOfficerId,
  isRfc3339Timestamp,
  isSha256Hex,
  isBlindToken,
  isMatchKeyId,
  isUuid,
  timestampMillis,
} from './rules.js';

/** A decorator factory that checks one predicate under one rule name. */
function byPredicate(name: RuleName, test: (value: unknown) => boolean, expectation: string) {
  return (options?: ValidationOptions): PropertyDecorator =>
    ValidateBy(
      {
        name,
        validator: {
          validate: (value: unknown) => test(value),
          defaultMessage: buildMessage((each) => `${each}$property ${expectation}`, options),
        },
      },
      options,
    );
}

export const IsImoNumber = byPredicate(
  RULE.imoCheckDigit,
  isImoNumber,
  'must be a 7-digit IMO number whose check digit matches',
);
export const IsMmsi = byPredicate(
  RULE.mmsi,
  isMmsi,
  'must be the 9-digit MMSI of a ship station (first digit 2 to 7)',
);
export const IsIban = byPredicate(
  RULE.ibanMod97,
  isIban,
  "must be an IBAN in upper case without spaces, of its country's length, whose mod-97 check holds",
);
export const IsBic = byPredicate(
  RULE.bic,
  isBic,
  'must be a BIC: 4-letter bank code, country code, 2-character location, optional 3-character branch',
);
export const IsCountryCode = byPredicate(
  RULE.iso3166Alpha2,
  isCountryCode,
  'must be an ISO 3166-1 alpha-2 country code in upper case, for example LY',
);
export const IsCurrencyCode = byPredicate(
  RULE.iso4217,
  isCurrencyCode,
  'must be an ISO 4217 currency code in upper case, for example EUR',
);
export const IsE164 = byPredicate(
  RULE.e164,
  isE164,
  'must be an E.164 phone number: + and 2 to 15 digits, no spaces',
);
export const IsHttpUrl = byPredicate(
  RULE.httpUrl,
  isHttpUrl,
  'must be an http or https URL with a host and no credentials',
);
export const IsDecimalAmount = byPredicate(
  RULE.decimalAmount,
  isDecimalAmount,
  'must be a non-negative decimal with at most 12 integer and 4 fractional digits, for example "2500.00"',
);
export const IsNodeId = byPredicate(
  RULE.nodeId,
  isNodeId,
  'must be a node id: lowercase letters and digits, words joined by single dashes, at most 64 characters',
);
export const IsUuid = byPredicate(RULE.uuid, isUuid, 'must be a UUID in canonical 8-4-4-4-12 form');
export const IsSha256Hex = byPredicate(
  RULE.sha256Hex,
  isSha256Hex,
  'must be a SHA-256 digest of 64 hexadecimal digits',
);
export const IsBlindToken = byPredicate(
  RULE.blindToken,
  isBlindToken,
  'must be a blind-matching token: an HMAC-SHA256 digest in base64url without padding (43 characters)',
);
export const IsMatchKeyId = byPredicate(
  RULE.matchKeyId,
  isMatchKeyId,
  'must be a matching key id: mk- and 16 lower-case hexadecimal digits',
);
export const IsLanguageCode = byPredicate(
  RULE.iso639_1,
  isLanguageCode,
  'must be an ISO 639-1 language code in lower case, for example ar',
);
export const IsOfficerId = byPredicate(
  RULE.officerId,
  isOfficerId,
  'must be an officer id of 1 to 64 visible characters without spaces',
);
export const IsNotEuMemberState = byPredicate(
  RULE.notEuMemberState,
  (value) => !isEuMemberState(value),
  'must be a third country, not an EU member state',
);
export const IsRfc3339 = byPredicate(
  RULE.rfc3339,
  isRfc3339Timestamp,
  'must be an RFC 3339 timestamp with a time zone, for example 2025-06-12T08:30:00Z',
);
export const IsJsonObject = byPredicate(
  RULE.jsonObject,
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  'must be a JSON object',
);

/** True for the forms in which protobuf JSON leaves a field out: undefined, null, "" and []. */
export function isAbsent(value: unknown): boolean {
  return (
    value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)
  );
}

/** The field must be present: not undefined, null, "" or [] (protobuf JSON treats those as absent). */
export function Required(): PropertyDecorator {
  return ValidateBy({
    name: RULE.required,
    validator: {
      validate: (value: unknown) => !isAbsent(value),
      defaultMessage: () => '$property is required',
    },
  });
}

/** Text without control characters; `multiline` text may hold tab, CR and LF. */
export function NoControlCharacters(multiline: boolean, options?: ValidationOptions): PropertyDecorator {
  const allowed = multiline
    ? ' (other than tab and line breaks) or unpaired surrogates'
    : ' or unpaired surrogates';
  return ValidateBy(
    {
      name: RULE.noControlCharacters,
      validator: {
        validate: (value: unknown) => hasNoControlCharacters(value, multiline),
        defaultMessage: buildMessage(
          (each) => `${each}$property must not contain control characters${allowed}`,
          options,
        ),
      },
    },
    options,
  );
}

/** A list without repeated values; `rule` names the kind of list (recipients or plain codes). */
export function UniqueValues(
  rule: typeof RULE.uniqueValues | typeof RULE.uniqueRecipients = RULE.uniqueValues,
): PropertyDecorator {
  const what = rule === RULE.uniqueRecipients ? 'node' : 'value';
  return ValidateBy({
    name: rule,
    validator: {
      validate: (value: unknown) => !Array.isArray(value) || new Set(value).size === value.length,
      defaultMessage: () => `$property must not name the same ${what} twice`,
    },
  });
}

/** Names of a proto enum's values in its JSON form, without the zero `_UNSPECIFIED` value. */
export function protoEnumNames(schema: DescEnum): string[] {
  return schema.values.filter((v) => v.number !== 0).map((v) => v.name);
}

/** The value must be the JSON name of a specified value of the proto enum, for example `TLP_RED`. */
export function IsProtoEnum(schema: DescEnum, options?: ValidationOptions): PropertyDecorator {
  const names = new Set(protoEnumNames(schema));
  return ValidateBy(
    {
      name: RULE.protoEnum,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && names.has(value),
        defaultMessage: buildMessage(
          (each) => `${each}$property must be one of ${[...names].join(', ')}`,
          options,
        ),
      },
    },
    options,
  );
}

/** On `Period.end`: the end, when given, is not before the start of the same period. */
export function PeriodOrdered(): PropertyDecorator {
  return ValidateBy({
    name: RULE.periodOrdered,
    validator: {
      validate: (end: unknown, args?: ValidationArguments) => {
        const startMs = timestampMillis((args?.object as { start?: unknown } | undefined)?.start);
        const endMs = timestampMillis(end);
        return startMs === undefined || endMs === undefined || endMs >= startMs;
      },
      defaultMessage: () => '$property must not be before start',
    },
  });
}

/** How a selector's value is checked, by the JSON name of its kind. */
const SELECTOR_FORMATS: ReadonlyMap<string, { test: (value: unknown) => boolean; expectation: string }> =
  new Map([
    ['SELECTOR_KIND_PHONE_NUMBER', { test: isE164, expectation: 'an E.164 phone number' }],
    ['SELECTOR_KIND_IBAN', { test: isIban, expectation: 'an IBAN whose mod-97 check holds' }],
    [
      'SELECTOR_KIND_IMO_NUMBER',
      { test: isImoNumber, expectation: 'an IMO number whose check digit matches' },
    ],
    ['SELECTOR_KIND_MMSI', { test: isMmsi, expectation: 'the MMSI of a ship station' }],
    ['SELECTOR_KIND_URL', { test: isHttpUrl, expectation: 'an http or https URL' }],
    ['SELECTOR_KIND_DOCUMENT_NUMBER', { test: isDocumentNumber, expectation: 'a document number' }],
  ]);

function selectorFormat(args?: ValidationArguments) {
  const kind = (args?.object as { kind?: unknown } | undefined)?.kind;
  return typeof kind === 'string' ? SELECTOR_FORMATS.get(kind) : undefined;
}

/** On `Selector.value`: the value has the format its kind demands (phone → E.164, IBAN → mod-97, ...). */
export function SelectorValueMatchesKind(): PropertyDecorator {
  return ValidateBy({
    name: RULE.selectorValueMatchesKind,
    validator: {
      // An unknown or missing kind is reported on `kind`; the value cannot be judged without it.
      validate: (value: unknown, args?: ValidationArguments) => selectorFormat(args)?.test(value) ?? true,
      defaultMessage: (args?: ValidationArguments) =>
        `$property must be ${selectorFormat(args)?.expectation ?? 'valid'} for its kind`,
    },
  });
}
