/** JSON schemas for the request bodies (checked by fastify) and responses (serialized by fast-json-stringify). */

const parameters = { type: 'object' } as const;

export const inferRequestSchema = {
  type: 'object',
  required: ['inputs'],
  properties: {
    id: { type: 'string' },
    parameters,
    inputs: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['name', 'shape', 'datatype', 'data'],
        properties: {
          name: { type: 'string' },
          shape: { type: 'array', items: { type: 'integer', minimum: 0 } },
          datatype: { type: 'string' },
          parameters,
          data: { type: ['array', 'number', 'boolean'] },
        },
      },
    },
    outputs: {
      type: 'array',
      items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, parameters } },
    },
  },
} as const;

/** name, datatype and shape of a tensor, as model metadata and infer responses give them. */
const tensorProperties = {
  name: { type: 'string' },
  datatype: { type: 'string' },
  shape: { type: 'array', items: { type: 'integer' } },
} as const;

const tensorMetadata = { type: 'array', items: { type: 'object', properties: tensorProperties } } as const;

export const inferResponseSchema = {
  type: 'object',
  properties: {
    model_name: { type: 'string' },
    id: { type: 'string' },
    outputs: {
      type: 'array',
      items: { type: 'object', properties: { ...tensorProperties, data: { type: 'array', items: { type: ['number', 'boolean'] } } } },
    },
  },
} as const;

export const predictRequestSchema = {
  type: 'object',
  minProperties: 1,
  additionalProperties: { type: ['array', 'number'] },
} as const;

export const modelMetadataSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    versions: { type: 'array', items: { type: 'string' } },
    platform: { type: 'string' },
    inputs: tensorMetadata,
    outputs: tensorMetadata,
  },
} as const;

export const errorSchema = { type: 'object', properties: { error: { type: 'string' } } } as const;
