/**
 * The DTOs' class-validator rules, compiled once from their metadata into a check that costs microseconds:
 * no `plainToInstance`, no `validateSync`, no error tree. It calls the very constraint instances the
 * decorators registered (`ValidateBy` validators, `IsOptional`/`ValidateIf` conditions, `@Type` targets),
 * with the options validate-envelope uses (`whitelist`, `forbidNonWhitelisted`, `forbidUnknownValues`), so
 * a decorator added to a DTO is picked up without a change here.
 *
 * It answers one question, "do all field rules certainly hold?", and never says why not: a caller that
 * hears "no" runs the full path, which finds and words the violations. "No" is therefore also the answer to
 * whatever it cannot judge exactly as class-transformer and class-validator would: metadata of a kind it
 * does not know (promise validation, `@Transform`, `@Expose`/`@Exclude`, discriminators, `@Type` functions
 * that look at the object, Set/Map properties), input that is not plain JSON data (class instances,
 * functions, sparse arrays, `__proto__` keys), nesting deeper than MAX_JSON_DEPTH, a constraint that throws
 * or answers with a promise. It can be slower than necessary, never more lenient than the full path.
 */
import { TransformationType } from 'class-transformer';
import { defaultMetadataStorage as transformerStorage } from 'class-transformer/cjs/storage.js';
import {
  ValidationTypes,
  getMetadataStorage,
  type MetadataStorage,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { MAX_JSON_DEPTH } from './json-shape.js';

/** One registered decorator use (class-validator does not export the type by name). */
type ValidationMetadata = ReturnType<MetadataStorage['getTargetValidationMetadatas']>[number];
/** A class whose instances class-transformer creates and class-validator validates. */
type DtoClass = new () => object;

/** The answer of a compiled check: the DTO as `plainToInstance` builds it, or undefined ("run the full path"). */
export type ContractCheck<T extends object> = (json: unknown) => T | undefined;

/** One use of a constraint on a property, with the instance class-validator would call. */
interface CompiledConstraint {
  readonly metadata: ValidationMetadata;
  /** Resolved once: class-validator's default container hands out one instance per constraint class. */
  readonly validator: ValidatorConstraintInterface;
  /** validateSync skips asynchronous constraints; so does the compiled check. */
  readonly async: boolean;
}

/** What `@ValidateNested` with `@Type` makes of a property: the class its objects become and are checked as. */
interface NestedTarget {
  readonly type: DtoClass;
  /** The schema name class-validator passes down (the declaring class's name). */
  readonly schema: string;
}

interface CompiledProperty {
  readonly name: string;
  /** `IsOptional` and `ValidateIf`: the property's rules apply only when all of them hold. */
  readonly conditions: readonly ((object: object, value: unknown) => boolean)[];
  /** `IsDefined` uses, which class-validator runs before the other rules. */
  readonly defined: readonly CompiledConstraint[];
  readonly constraints: readonly CompiledConstraint[];
  readonly nested: NestedTarget | undefined;
}

interface CompiledClass {
  readonly type: DtoClass;
  /** `ValidationArguments.targetName`, read once rather than per constraint. */
  readonly targetName: string;
  /** Every property with metadata: the whitelist, and the rules to run, by name. */
  readonly properties: ReadonlyMap<string, CompiledProperty>;
  /** The same properties as a list, which the hot loop walks faster than a map. */
  readonly propertyList: readonly CompiledProperty[];
}

/** Marks input or metadata the check cannot judge exactly as the full path would. */
class Undecidable extends Error {}

/** Constructors that class-transformer converts to or treats specially, which no DTO class is. */
const NOT_DTO_CLASSES: ReadonlySet<unknown> = new Set([
  String,
  Number,
  Boolean,
  Date,
  Object,
  Array,
  Map,
  Set,
  Promise,
  Function,
]);

/**
 * Compiles the rules of `type` and of every class nested in it (on first use, so that every DTO module has
 * registered its decorators by then). The check returns the DTO instance when the input is plain JSON data
 * on which validateSync, with validate-envelope's options, would report nothing; otherwise undefined.
 */
export function compileContractCheck<T extends object>(type: new () => T): ContractCheck<T> {
  const compiler = new ContractCompiler();
  return (json) => {
    try {
      const compiled = compiler.compiled(type, undefined);
      if (compiled === undefined || !isPlainObject(json)) return undefined;
      const instance = compiler.toInstance(compiled, json, 1);
      return compiler.holds(compiled, instance) ? (instance as T) : undefined;
    } catch {
      // Undecidable input, or a constraint that throws: the full path decides (and throws there, if it
      // throws today).
      return undefined;
    }
  };
}

class ContractCompiler {
  private readonly validation = getMetadataStorage();
  /** By class, then by schema name; null for a class the check cannot model. */
  private readonly cache = new Map<DtoClass, Map<string | undefined, CompiledClass | null>>();

  /** The compiled rules of `type` as validated under `schema`, or undefined when it cannot be modelled. */
  compiled(type: DtoClass, schema: string | undefined): CompiledClass | undefined {
    let bySchema = this.cache.get(type);
    if (bySchema === undefined) {
      bySchema = new Map();
      this.cache.set(type, bySchema);
    }
    let compiled = bySchema.get(schema);
    if (compiled === undefined) {
      compiled = this.compile(type, schema) ?? null;
      bySchema.set(schema, compiled);
    }
    return compiled ?? undefined;
  }

  private compile(type: DtoClass, schema: string | undefined): CompiledClass | undefined {
    // The same selection as ValidationExecutor.execute with no groups, `always` and `strictGroups` off.
    const metadatas = this.validation.getTargetValidationMetadatas(type, schema ?? '', false, false);
    // forbidUnknownValues: an object of a class without rules is always refused.
    if (metadatas.length === 0) return undefined;
    // Exposing or excluding changes which keys plainToInstance copies.
    if (
      transformerStorage.getStrategy(type) !== 'none' ||
      transformerStorage.getExposedMetadatas(type).length > 0 ||
      transformerStorage.getExcludedMetadatas(type).length > 0
    )
      return undefined;
    const grouped = this.validation.groupByPropertyName(metadatas);
    const properties = new Map<string, CompiledProperty>();
    for (const [name, uses] of Object.entries(grouped)) {
      const property = this.compileProperty(type, name, uses);
      if (property === undefined) return undefined;
      properties.set(name, property);
    }
    // A declared field without rules is an own property of every instance, which the whitelist refuses.
    if (Object.keys(new type()).some((key) => !properties.has(key))) return undefined;
    // plainToInstance does not assign a key that names an accessor or method of the prototype.
    if ([...properties.keys()].some((key) => Object.getOwnPropertyDescriptor(type.prototype, key)))
      return undefined;
    return { type, targetName: type.name, properties, propertyList: [...properties.values()] };
  }

  private compileProperty(
    type: DtoClass,
    name: string,
    uses: readonly ValidationMetadata[],
  ): CompiledProperty | undefined {
    if (transformerStorage.findTransformMetadatas(type, name, TransformationType.PLAIN_TO_CLASS).length > 0)
      return undefined;
    const conditions: ((object: object, value: unknown) => boolean)[] = [];
    const defined: CompiledConstraint[] = [];
    const constraints: CompiledConstraint[] = [];
    const schemas = new Set<string>();
    for (const use of uses) {
      switch (use.type) {
        case ValidationTypes.CONDITIONAL_VALIDATION: {
          const condition: unknown = use.constraints[0];
          if (typeof condition !== 'function') return undefined;
          conditions.push(condition as (object: object, value: unknown) => boolean);
          break;
        }
        case ValidationTypes.IS_DEFINED:
          defined.push(...this.constraintsOf(use));
          break;
        case ValidationTypes.CUSTOM_VALIDATION:
          constraints.push(...this.constraintsOf(use));
          break;
        case ValidationTypes.NESTED_VALIDATION:
          schemas.add(typeof use.target === 'string' ? use.target : use.target.name);
          break;
        case ValidationTypes.WHITELIST:
          break;
        default:
          // Promise validation, or a kind of metadata newer than this compiler.
          return undefined;
      }
    }
    const target = this.nestedType(type, name);
    if (target === null) return undefined;
    let nested: NestedTarget | undefined;
    if (schemas.size > 0) {
      // Without @Type, plainToInstance leaves nested objects plain and forbidUnknownValues refuses them.
      if (target === undefined || schemas.size > 1) return undefined;
      nested = { type: target, schema: [...schemas][0] };
    } else if (target !== undefined) {
      // Converted but not validated: rules would see instances the check does not build.
      return undefined;
    }
    return { name, conditions, defined, constraints, nested };
  }

  /** The `@Type` class of a property; undefined without @Type, null when it cannot be modelled. */
  private nestedType(type: DtoClass, name: string): DtoClass | undefined | null {
    const metadata = transformerStorage.findTypeMetadata(type, name);
    if (metadata === undefined) return undefined;
    const reflected: unknown = metadata.reflectedType;
    if (metadata.options?.discriminator !== undefined || reflected === Set || reflected === Map) return null;
    // A type function that reads its argument chooses the class per object.
    if (typeof metadata.typeFunction !== 'function' || metadata.typeFunction.length > 0) return null;
    const target: unknown = metadata.typeFunction();
    return typeof target === 'function' && !NOT_DTO_CLASSES.has(target) ? (target as DtoClass) : null;
  }

  private constraintsOf(use: ValidationMetadata): CompiledConstraint[] {
    return this.validation.getTargetValidatorConstraints(use.constraintCls).map((constraint) => ({
      metadata: use,
      validator: constraint.instance,
      async: constraint.async,
    }));
  }

  /**
   * plainToInstance for plain JSON data whose every key is a property of its class: a fresh instance per
   * object (keeping what the constructor sets), `@Type` objects at any list depth, lists copied. Throws
   * Undecidable on a key the whitelist would refuse, on data that is not plain JSON and beyond MAX_JSON_DEPTH
   * (counted as checkJsonShape counts: the top object is level 1).
   */
  toInstance(compiled: CompiledClass, json: Record<string, unknown>, depth: number): object {
    if (depth > MAX_JSON_DEPTH) throw new Undecidable();
    const instance = new compiled.type() as Record<string, unknown>;
    for (const key of Object.keys(json)) {
      const property = compiled.properties.get(key);
      if (property === undefined) throw new Undecidable();
      instance[key] = this.converted(json[key], property.nested, depth + 1);
    }
    return instance;
  }

  private converted(value: unknown, nested: NestedTarget | undefined, depth: number): unknown {
    if (value === null || value === undefined) return value;
    switch (typeof value) {
      case 'string':
      case 'number':
      case 'boolean':
        return value;
      case 'object':
        break;
      default:
        throw new Undecidable();
    }
    if (depth > MAX_JSON_DEPTH) throw new Undecidable();
    if (Array.isArray(value)) {
      const list = value as unknown[];
      const copy = new Array<unknown>(list.length);
      for (let i = 0; i < list.length; i++) {
        // class-transformer drops holes and shifts the elements after them.
        if (!(i in list)) throw new Undecidable();
        copy[i] = this.converted(list[i], nested, depth + 1);
      }
      return copy;
    }
    if (nested === undefined || !isPlainObject(value)) throw new Undecidable();
    const compiled = this.compiled(nested.type, nested.schema);
    if (compiled === undefined) throw new Undecidable();
    return this.toInstance(compiled, value, depth);
  }

  /** True when validateSync would find nothing on `object`, an instance of `compiled`'s class. */
  holds(compiled: CompiledClass, object: object): boolean {
    const fields = object as Record<string, unknown>;
    for (const property of compiled.propertyList) {
      const value = fields[property.name];
      if (!allHold(property.conditions, object, value)) continue;
      for (const constraint of property.defined)
        if (!this.passes(constraint, compiled.targetName, object, value)) return false;
      for (const constraint of property.constraints)
        if (!this.passes(constraint, compiled.targetName, object, value)) return false;
      if (property.nested !== undefined && !this.nestedHolds(value, property.nested)) return false;
    }
    return true;
  }

  /** One constraint use, called as ValidationExecutor.customValidations calls it. */
  private passes(
    constraint: CompiledConstraint,
    targetName: string,
    object: object,
    value: unknown,
  ): boolean {
    const { metadata, validator } = constraint;
    if (metadata.validateIf !== undefined && metadata.validateIf(object, value) !== true) return true;
    if (constraint.async) return true;
    const args: ValidationArguments = {
      targetName,
      property: metadata.propertyName,
      object,
      value,
      constraints: metadata.constraints,
    };
    if (metadata.each && Array.isArray(value))
      return value.every((element) => isTrue(validator.validate(element, args)));
    return isTrue(validator.validate(value, args));
  }

  /** ValidationExecutor.nestedValidations: lists element by element, objects by their own class's rules. */
  private nestedHolds(value: unknown, nested: NestedTarget): boolean {
    if (value === undefined) return true;
    if (Array.isArray(value)) return value.every((element) => this.nestedHolds(element, nested));
    if (!(value instanceof Object)) return false;
    const compiled = this.compiled(value.constructor as DtoClass, nested.schema);
    return compiled !== undefined && this.holds(compiled, value);
  }
}

/** Whether every condition (IsOptional, ValidateIf) lets the property's rules apply. */
function allHold(
  conditions: readonly ((object: object, value: unknown) => boolean)[],
  object: object,
  value: unknown,
): boolean {
  for (const condition of conditions) if (!condition(object, value)) return false;
  return true;
}

/**
 * A constraint's answer as validateSync reads it, except that a promise (which validateSync leaves
 * unjudged) counts as "run the full path".
 */
function isTrue(answer: unknown): boolean {
  if (typeof answer === 'object' && answer !== null && 'then' in answer) return false;
  return Boolean(answer);
}

/**
 * An object as JSON.parse makes it, in this realm or another (jest's sandbox, a worker): its prototype is
 * null or an Object.prototype. Class instances, dates and buffers, which class-transformer treats apart,
 * are not.
 */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}
