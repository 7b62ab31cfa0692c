import {
  ScalarType,
  type DescEnum,
  type DescField,
  type DescMessage,
  type DescOneof,
} from '@bufbuild/protobuf';
import type { ReferenceObject, SchemaObject } from '@nestjs/swagger';

/** Where the schemas of protobuf types are kept in the document: under their full name (`msx.v1.Envelope`). */
export const protoSchemaRef = (typeName: string): ReferenceObject => ({
  $ref: `#/components/schemas/${typeName}`,
});

/**
 * Oneofs of which the contract requires exactly one member, by `<message>.<oneof>`; any other oneof allows at
 * most one. The envelope's payload is checked by the contract rule `exactlyOnePayload`.
 */
const EXACTLY_ONE = new Set(['msx.v1.Envelope.payload']);

/** RFC 3339 in UTC, as protobuf JSON writes a Timestamp (`2026-05-04T10:15:00Z`, fractions optional). */
const TIMESTAMP: SchemaObject = {
  type: 'string',
  format: 'date-time',
  description: 'google.protobuf.Timestamp: RFC 3339 in UTC, for example 2026-05-04T10:15:00Z',
};

/** Protobuf JSON of a 64-bit integer: a decimal string (a number is also read). */
const INT64: SchemaObject = { type: 'string', format: 'int64', pattern: '^-?[0-9]+$' };
const UINT64: SchemaObject = { type: 'string', format: 'uint64', pattern: '^[0-9]+$' };

/** The JSON Schema of each scalar in its protobuf JSON form. */
function scalarSchema(scalar: ScalarType): SchemaObject {
  switch (scalar) {
    case ScalarType.STRING:
      return { type: 'string' };
    case ScalarType.BOOL:
      return { type: 'boolean' };
    case ScalarType.BYTES:
      return { type: 'string', format: 'byte' };
    case ScalarType.DOUBLE:
      return { type: 'number', format: 'double' };
    case ScalarType.FLOAT:
      return { type: 'number', format: 'float' };
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return { type: 'integer', format: 'int32' };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: 'integer', minimum: 0, maximum: 4_294_967_295 };
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return { ...INT64 };
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return { ...UINT64 };
  }
}

/**
 * The JSON Schemas of a protobuf message and of every message and enum it reaches, in their protobuf JSON
 * form (what `toJson`/`fromJson` of `@bufbuild/protobuf` read and write, and what the gateway accepts),
 * keyed by full type name. Walked from the generated descriptors, so the schema cannot drift from `proto/`:
 * fields by their JSON name, enums by value name, lists as arrays, maps as objects, a oneof's members as
 * properties of which at most one (or, for {@link EXACTLY_ONE}, exactly one) is present, and
 * google.protobuf.Timestamp as an RFC 3339 string. Unknown properties are refused (the contract takes none).
 * The contract's rules beyond the shape (fields required, formats, check digits, coherence) are the
 * gateway's to check and are answered as violations.
 * @throws Error for a well-known type other than Timestamp, so a new one is described, not guessed
 */
export function protoJsonSchemas(root: DescMessage): Record<string, SchemaObject> {
  const schemas: Record<string, SchemaObject> = {};
  const pending: (DescMessage | DescEnum)[] = [root];
  for (let desc = pending.pop(); desc !== undefined; desc = pending.pop()) {
    if (schemas[desc.typeName] !== undefined) continue;
    if (desc.kind === 'enum') {
      schemas[desc.typeName] = enumSchema(desc);
      continue;
    }
    const refer = (type: DescMessage | DescEnum): SchemaObject | ReferenceObject => {
      if (type.kind === 'message' && type.typeName.startsWith('google.protobuf.'))
        return wellKnownSchema(type, desc);
      pending.push(type);
      return protoSchemaRef(type.typeName);
    };
    schemas[desc.typeName] = messageSchema(desc, refer);
  }
  return schemas;
}

function enumSchema(desc: DescEnum): SchemaObject {
  return {
    type: 'string',
    description: `${desc.typeName} (${desc.file.name}.proto): by value name`,
    enum: desc.values.map((v) => v.name),
  };
}

function wellKnownSchema(type: DescMessage, usedBy: DescMessage): SchemaObject {
  if (type.typeName === 'google.protobuf.Timestamp') return { ...TIMESTAMP };
  throw new Error(
    `${usedBy.typeName} uses ${type.typeName}, which protoJsonSchemas does not describe yet: add its JSON form there`,
  );
}

function messageSchema(
  desc: DescMessage,
  refer: (type: DescMessage | DescEnum) => SchemaObject | ReferenceObject,
): SchemaObject {
  const properties: Record<string, SchemaObject | ReferenceObject> = {};
  for (const field of desc.fields) properties[field.jsonName] = fieldSchema(field, refer);
  const schema: SchemaObject = {
    type: 'object',
    description: `${desc.typeName} (${desc.file.name}.proto)`,
    properties,
    additionalProperties: false,
  };
  const oneofs = desc.oneofs.map((oneof) => oneofSchema(desc, oneof));
  if (oneofs.length === 1) Object.assign(schema, oneofs[0]);
  else if (oneofs.length > 1) schema.allOf = oneofs;
  return schema;
}

/** Exactly one member (`oneOf` of each member required), or at most one (no two members together). */
function oneofSchema(desc: DescMessage, oneof: DescOneof): SchemaObject {
  const members = oneof.fields.map((f) => f.jsonName);
  if (EXACTLY_ONE.has(`${desc.typeName}.${oneof.name}`))
    return { oneOf: members.map((m) => ({ required: [m] })) };
  const pairs = members.flatMap((a, i) => members.slice(i + 1).map((b) => ({ required: [a, b] })));
  return pairs.length === 0 ? {} : { not: { anyOf: pairs } };
}

function fieldSchema(
  field: DescField,
  refer: (type: DescMessage | DescEnum) => SchemaObject | ReferenceObject,
): SchemaObject | ReferenceObject {
  switch (field.fieldKind) {
    case 'scalar':
      return scalarSchema(field.scalar);
    case 'enum':
      return refer(field.enum);
    case 'message':
      return refer(field.message);
    case 'list': {
      const items =
        field.listKind === 'scalar'
          ? scalarSchema(field.scalar)
          : refer(field.listKind === 'enum' ? field.enum : field.message);
      return { type: 'array', items };
    }
    case 'map': {
      const values =
        field.mapKind === 'scalar'
          ? scalarSchema(field.scalar)
          : refer(field.mapKind === 'enum' ? field.enum : field.message);
      return { type: 'object', additionalProperties: values };
    }
  }
}
