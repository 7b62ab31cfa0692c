/**
 * The compiled contract check on DTOs made for the test: it follows decorators it has never seen as long as
 * they are class-validator constraints, and on metadata it cannot model it declines to answer (undefined),
 * so its callers take the full path. In every case: when it vouches, validateSync finds nothing.
 */
import { describe, expect, it } from '@jest/globals';
import { Transform, Type, plainToInstance } from 'class-transformer';
import {
  IsArray,
  IsDefined,
  IsInt,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  ValidatePromise,
  validateSync,
} from 'class-validator';
import fc from 'fast-check';
import { compileContractCheck } from './compiled-contract.js';
import { CONTRACT_VALIDATOR_OPTIONS } from './validate-envelope.js';

/** Fixed, so that a failing property replays (fast-check logs it); MSX_PROPERTY_SEED explores other cases. */
const SEED = Number(process.env.MSX_PROPERTY_SEED ?? 20_261_203);
/** The runs of a property; MSX_PROPERTY_RUNS scales them (mutation testing runs fewer). */
const runs = (n: number) => Math.min(n, Number(process.env.MSX_PROPERTY_RUNS ?? n));

/** A rule no DTO of the contract uses, declared the way decorators.ts declares rules. */
function IsPalindrome(): PropertyDecorator {
  return ValidateBy({
    name: 'palindrome',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && value === [...value].reverse().join(''),
    },
  });
}

class ItemProbeDto {
  @IsString() @MaxLength(5) label!: string;
  @IsOptional() @IsInt() @Max(10) weight?: number;
}

/** Every kind of metadata the compiler models: conditions, IsDefined, each, nested lists, a new rule. */
class ModelledProbeDto {
  @IsDefined() @IsString() @IsPalindrome() word!: string;
  @IsOptional() @IsArray() @IsInt({ each: true }) counts?: number[];
  @IsOptional() @ValidateNested() @Type(() => ItemProbeDto) items?: ItemProbeDto[];
  @ValidateIf((object: { word?: unknown }) => object.word === 'abba') @IsString() note?: string;
}

/** Promise validation: a kind of metadata the compiler does not model. */
class PromiseProbeDto {
  @ValidatePromise() @IsString() name!: string;
}

/** A class-transformer @Transform changes values before validation: not modelled. */
class TransformProbeDto {
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MaxLength(3)
  code!: string;
}

/** Modelled itself, with a child that is not. */
class ParentProbeDto {
  @IsString() name!: string;
  @IsOptional() @ValidateNested() @Type(() => PromiseProbeDto) child?: PromiseProbeDto;
}

function fullPathPasses(type: new () => object, json: Record<string, unknown>): boolean {
  return validateSync(plainToInstance(type, json), CONTRACT_VALIDATOR_OPTIONS).length === 0;
}

const word = fc.constantFrom('abba', 'otto', 'abc', '', 'a');
const smallJson = fc.oneof(
  fc.constantFrom<unknown>(null, 'x', 3, 11, 2.5, true, [], {}),
  fc.string({ maxLength: 6 }),
);
const item = fc.oneof(
  fc.record(
    {
      label: fc.oneof(fc.string({ maxLength: 7 }), smallJson),
      weight: fc.oneof(fc.integer({ min: -2, max: 12 }), smallJson),
    },
    { requiredKeys: [] },
  ),
  smallJson,
);
const modelledProbe = fc.record(
  {
    word: fc.oneof(word, smallJson),
    counts: fc.oneof(fc.array(fc.oneof(fc.integer(), smallJson), { maxLength: 3 }), smallJson),
    items: fc.oneof(fc.array(fc.oneof(item, fc.array(item, { maxLength: 2 })), { maxLength: 3 }), smallJson),
    note: fc.oneof(fc.string({ maxLength: 3 }), smallJson),
    extra: smallJson,
  },
  { requiredKeys: [] },
);

describe('compileContractCheck', () => {
  it('follows a new decorator, IsDefined, conditions, each and nested lists: never vouches where validateSync refuses', () => {
    const check = compileContractCheck(ModelledProbeDto);
    let vouched = 0;
    fc.assert(
      fc.property(modelledProbe, (json) => {
        // It may decline what the full path accepts (a plain object in a field without @Type, left to the
        // full path), never vouch for what it refuses.
        if (check(json) === undefined) return;
        expect(fullPathPasses(ModelledProbeDto, json)).toBe(true);
        vouched++;
      }),
      { seed: SEED, numRuns: runs(3000) },
    );
    expect(vouched).toBeGreaterThanOrEqual(Math.floor(runs(3000) / 300));
  });

  it('enforces a rule it was never told about', () => {
    const check = compileContractCheck(ModelledProbeDto);
    expect(check({ word: 'otto' })).toBeInstanceOf(ModelledProbeDto);
    expect(check({ word: 'otter' })).toBeUndefined();
    expect(fullPathPasses(ModelledProbeDto, { word: 'otter' })).toBe(false);
  });

  it('declines metadata it cannot model (promise validation), even where validateSync passes', () => {
    const check = compileContractCheck(PromiseProbeDto);
    for (const json of [{ name: 'ok' }, { name: 3 }, {}]) expect(check(json)).toBeUndefined();
    expect(fullPathPasses(PromiseProbeDto, { name: 'ok' })).toBe(true);
  });

  it('declines a class-transformer @Transform, which changes what validateSync sees', () => {
    const check = compileContractCheck(TransformProbeDto);
    // Too long as sent, valid once trimmed: the full path accepts it, and the check must not judge it.
    expect(fullPathPasses(TransformProbeDto, { code: ' ab ' })).toBe(true);
    expect(check({ code: ' ab ' })).toBeUndefined();
    expect(check({ code: 'ab' })).toBeUndefined();
  });

  it('declines a nested object of a class it cannot model, and still answers when it is absent', () => {
    const check = compileContractCheck(ParentProbeDto);
    expect(check({ name: 'n' })).toBeInstanceOf(ParentProbeDto);
    expect(check({ name: 'n', child: { name: 'c' } })).toBeUndefined();
    expect(fullPathPasses(ParentProbeDto, { name: 'n' })).toBe(true);
  });

  it('never vouches where validateSync finds something, on arbitrary JSON, for any of the probes', () => {
    const probes: (new () => object)[] = [
      ModelledProbeDto,
      PromiseProbeDto,
      TransformProbeDto,
      ParentProbeDto,
    ];
    const checks = probes.map((type) => [type, compileContractCheck(type)] as const);
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom('word', 'name', 'code', 'child', 'items', 'counts', 'note', 'other'),
          fc.jsonValue({ maxDepth: 3 }),
        ),
        (json) => {
          for (const [type, check] of checks)
            if (check(json) !== undefined) expect(fullPathPasses(type, json)).toBe(true);
        },
      ),
      { seed: SEED, numRuns: runs(1000) },
    );
  });
});
