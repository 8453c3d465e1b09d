/**
 * The v2 document in the protobuf kubectl asks for (`Accept:
 * application/com.github.proto-openapi.spec.v2@v1.0+protobuf`): gnostic's `openapi.v2.Document`
 * (github.com/google/gnostic-models, `openapiv2/OpenAPIv2.proto`). Field numbers are gnostic's; only
 * the messages and fields this hub's document uses are declared. gnostic's `oneof`s are declared as
 * plain optional fields: one member set encodes the same bytes. Vendor extensions and enum values are
 * `Any` messages carrying YAML text; JSON is YAML, so the JSON text is what goes in.
 */
import { Root, type Type } from 'protobufjs';
import type { JsonSchema } from './names.js';

type Field = { id: number; type: string; rule?: 'repeated' };
const f = (id: number, type = 'string'): Field => ({ id, type });
const r = (id: number, type = 'string'): Field => ({ id, type, rule: 'repeated' });

const MESSAGES: Record<string, Record<string, Field>> = {
  Document: { swagger: f(1), info: f(2, 'Info'), paths: f(8, 'Paths'), definitions: f(9, 'Definitions') },
  Info: { title: f(1), version: f(2) },
  Paths: { path: r(2, 'NamedPathItem') },
  NamedPathItem: { name: f(1), value: f(2, 'PathItem') },
  PathItem: {
    get: f(2, 'Operation'),
    put: f(3, 'Operation'),
    post: f(4, 'Operation'),
    delete: f(5, 'Operation'),
    patch: f(8, 'Operation'),
    parameters: r(9, 'ParametersItem'),
  },
  Operation: {
    description: f(3),
    operationId: f(5),
    produces: r(6),
    consumes: r(7),
    parameters: r(8, 'ParametersItem'),
    responses: f(9, 'Responses'),
    schemes: r(10),
    vendorExtension: r(13, 'NamedAny'),
  },
  ParametersItem: { parameter: f(1, 'Parameter') },
  Parameter: { bodyParameter: f(1, 'BodyParameter'), nonBodyParameter: f(2, 'NonBodyParameter') },
  BodyParameter: { description: f(1), name: f(2), in: f(3), required: f(4, 'bool'), schema: f(5, 'Schema') },
  NonBodyParameter: {
    queryParameterSubSchema: f(3, 'QueryParameterSubSchema'),
    pathParameterSubSchema: f(4, 'PathParameterSubSchema'),
  },
  QueryParameterSubSchema: {
    required: f(1, 'bool'),
    in: f(2),
    description: f(3),
    name: f(4),
    type: f(6),
    uniqueItems: f(20, 'bool'),
  },
  PathParameterSubSchema: {
    required: f(1, 'bool'),
    in: f(2),
    description: f(3),
    name: f(4),
    type: f(5),
    uniqueItems: f(19, 'bool'),
  },
  Responses: { responseCode: r(1, 'NamedResponseValue') },
  NamedResponseValue: { name: f(1), value: f(2, 'ResponseValue') },
  ResponseValue: { response: f(1, 'Response') },
  Response: { description: f(1), schema: f(2, 'SchemaItem') },
  SchemaItem: { schema: f(1, 'Schema') },
  Definitions: { additionalProperties: r(1, 'NamedSchema') },
  NamedSchema: { name: f(1), value: f(2, 'Schema') },
  Properties: { additionalProperties: r(1, 'NamedSchema') },
  AdditionalPropertiesItem: { schema: f(1, 'Schema'), boolean: f(2, 'bool') },
  TypeItem: { value: r(1) },
  ItemsItem: { schema: r(1, 'Schema') },
  NamedAny: { name: f(1), value: f(2, 'Any') },
  Any: { yaml: f(2) },
  Schema: {
    _ref: f(1),
    format: f(2),
    title: f(3),
    description: f(4),
    maximum: f(7, 'double'),
    minimum: f(9, 'double'),
    maxLength: f(11, 'int64'),
    minLength: f(12, 'int64'),
    pattern: f(13),
    maxItems: f(14, 'int64'),
    minItems: f(15, 'int64'),
    required: r(19),
    enum: r(20, 'Any'),
    additionalProperties: f(21, 'AdditionalPropertiesItem'),
    type: f(22, 'TypeItem'),
    items: f(23, 'ItemsItem'),
    allOf: r(24, 'Schema'),
    properties: f(25, 'Properties'),
    vendorExtension: r(31, 'NamedAny'),
  },
};

let documentType: Type | undefined;
function documentMessage(): Type {
  documentType ??= Root.fromJSON({
    nested: {
      openapi: {
        nested: {
          v2: { nested: Object.fromEntries(Object.entries(MESSAGES).map(([name, fields]) => [name, { fields }])) },
        },
      },
    },
  }).lookupType('openapi.v2.Document');
  return documentType;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const yaml = (v: unknown): Obj => ({ yaml: `${JSON.stringify(v)}\n` });
const extensions = (s: Obj): Obj[] =>
  Object.entries(s)
    .filter(([k]) => k.startsWith('x-'))
    .map(([name, value]) => ({ name, value: yaml(value) }));

const SCHEMA_SCALARS = [
  'format',
  'title',
  'description',
  'maximum',
  'minimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
] as const;

function schema(s: Obj): Obj {
  const out: Obj = {};
  if (typeof s.$ref === 'string') out._ref = s.$ref;
  for (const k of SCHEMA_SCALARS) if (s[k] !== undefined) out[k] = s[k];
  if (Array.isArray(s.required)) out.required = s.required;
  if (Array.isArray(s.enum)) out.enum = s.enum.map(yaml);
  if (typeof s.type === 'string') out.type = { value: [s.type] };
  if (isObj(s.items)) out.items = { schema: [schema(s.items)] };
  if (Array.isArray(s.allOf)) out.allOf = s.allOf.filter(isObj).map(schema);
  if (isObj(s.properties))
    out.properties = {
      additionalProperties: Object.entries(s.properties)
        .filter(([, v]) => isObj(v))
        .map(([name, v]) => ({ name, value: schema(v as Obj) })),
    };
  if (isObj(s.additionalProperties)) out.additionalProperties = { schema: schema(s.additionalProperties) };
  else if (typeof s.additionalProperties === 'boolean') out.additionalProperties = { boolean: s.additionalProperties };
  const ext = extensions(s);
  if (ext.length > 0) out.vendorExtension = ext;
  return out;
}

function parameter(p: Obj): Obj {
  if (p.in === 'body')
    return {
      parameter: {
        bodyParameter: { name: p.name, in: 'body', required: p.required === true, schema: schema(p.schema as Obj) },
      },
    };
  const sub = {
    required: p.required === true,
    in: p.in,
    description: p.description,
    name: p.name,
    type: p.type,
    uniqueItems: p.uniqueItems === true,
  };
  return {
    parameter: {
      nonBodyParameter: p.in === 'path' ? { pathParameterSubSchema: sub } : { queryParameterSubSchema: sub },
    },
  };
}

function operation(o: Obj): Obj {
  const responses = isObj(o.responses) ? o.responses : {};
  return {
    description: o.description,
    operationId: o.operationId,
    produces: o.produces,
    consumes: o.consumes,
    schemes: o.schemes,
    parameters: (o.parameters as Obj[]).map(parameter),
    responses: {
      responseCode: Object.entries(responses).map(([code, v]) => {
        const resp = v as Obj;
        return {
          name: code,
          value: {
            response: {
              description: resp.description,
              ...(isObj(resp.schema) ? { schema: { schema: schema(resp.schema) } } : {}),
            },
          },
        };
      }),
    },
    vendorExtension: extensions(o),
  };
}

/** Encodes the v2 JSON document (documents.ts) as gnostic's `openapi.v2.Document`. */
export function encodeOpenApiV2(doc: JsonSchema): Uint8Array {
  const paths = Object.entries(doc.paths as Record<string, Obj>).map(([name, item]) => {
    const value: Obj = { parameters: (item.parameters as Obj[]).map(parameter) };
    for (const m of ['get', 'put', 'post', 'delete', 'patch']) if (isObj(item[m])) value[m] = operation(item[m]);
    return { name, value };
  });
  const definitions = Object.entries(doc.definitions as Record<string, Obj>).map(([name, s]) => ({
    name,
    value: schema(s),
  }));
  const type = documentMessage();
  const message = type.fromObject({
    swagger: doc.swagger,
    info: doc.info,
    paths: { path: paths },
    definitions: { additionalProperties: definitions },
  });
  return type.encode(message).finish();
}

/** Decodes what `encodeOpenApiV2` wrote, for tests. */
export function decodeOpenApiV2(bytes: Uint8Array): Obj {
  const type = documentMessage();
  return type.toObject(type.decode(bytes), { defaults: false, arrays: true });
}
