/**
 * Field shapes the DTOs are made of: optional/required presence, bounded text, bounded lists and nested
 * messages. Each combines class-validator and class-transformer decorators in a fixed order, so the
 * DTOs read as one line per field and every list and text is bounded.
 */
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsString, MaxLength, ValidateIf, ValidateNested } from 'class-validator';
import { IsJsonObject, NoControlCharacters } from './decorators.js';

/** Applies decorators in the order given. */
export function compose(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => {
    for (const decorate of decorators) decorate(target, key);
  };
}

/**
 * A string field that may be left out: undefined, null and "" (protobuf JSON's default, which a form may
 * send for an empty input) mean absent, and none of its other rules apply. Other optional fields use
 * class-validator's IsOptional (undefined or null only), because `fromJson` refuses "" for enums,
 * messages, numbers and booleans; an empty list needs no exception, as it passes every list rule.
 */
export function OptionalString(): PropertyDecorator {
  return ValidateIf(
    (_object: unknown, value: unknown) => value !== undefined && value !== null && value !== '',
  );
}

/** Limits for text fields, in characters (UTF-16 code units). */
export const TEXT = {
  /** Codes and references: FIU case numbers, rule codes, payment references. */
  code: 100,
  /** Names: vessels, platforms, places, hotspots, roles. */
  name: 200,
  /** Titles of reports and products. */
  title: 200,
  /** One indicator, feature or risk indicator. */
  item: 500,
  /** Reasons, justifications, purposes, explanations, descriptions. */
  statement: 2000,
  /** An analyst's narrative or summary. */
  narrative: 8000,
} as const;

/** A string of at most `maxLength` characters without control characters; `multiline` allows line breaks. */
export function Text(maxLength: number, multiline = false): PropertyDecorator {
  return compose(IsString(), MaxLength(maxLength), NoControlCharacters(multiline));
}

/** A list of at most `maxItems` single-line strings, each at most `maxLength` characters. */
export function TextList(maxItems: number, maxLength: number): PropertyDecorator {
  const each = { each: true };
  return compose(
    IsArray(),
    ArrayMaxSize(maxItems),
    IsString(each),
    MaxLength(maxLength, each),
    NoControlCharacters(false, each),
  );
}

/** A list of at most `maxItems` values; pass the element rules with `{ each: true }`. */
export function List(maxItems: number, ...rules: PropertyDecorator[]): PropertyDecorator {
  return compose(IsArray(), ArrayMaxSize(maxItems), ...rules);
}

/** A nested message, converted to `type` and validated by its own rules. */
export function Message(type: () => new () => object): PropertyDecorator {
  return compose(IsJsonObject(), ValidateNested(), Type(type));
}

/** A list of at most `maxItems` nested messages of `type`. */
export function MessageList(type: () => new () => object, maxItems: number): PropertyDecorator {
  return compose(
    IsArray(),
    ArrayMaxSize(maxItems),
    IsJsonObject({ each: true }),
    ValidateNested(),
    Type(type),
  );
}
