import type { GraphBuilder } from '../ir/builder.js';
import type { Attrs, AttrValue, DType, Node, Shape, SubGraph, TensorConst, Value } from '../ir/types.js';

export interface Signature {
  readonly dtype: DType;
  readonly shape: Shape;
}

/** The ONNX attribute types the builder writes (AttributeProto.AttributeType). */
export type AttrType = 'int' | 'float' | 'ints' | 'floats' | 'string' | 'graph' | 'tensor';

type AttrTypeOf<T extends AttrType> = T extends 'int' | 'float'
  ? number
  : T extends 'ints' | 'floats'
    ? readonly number[]
    : T extends 'string'
      ? string
      : T extends 'graph'
        ? SubGraph
        : TensorConst;

export interface AttrSpec {
  readonly type: AttrType;
  /** The ONNX default, used by the rules when the attribute is absent. */
  readonly default?: AttrValue;
}

/** An op's attributes: name → ONNX type and default. */
export type AttrSchema = Readonly<Record<string, AttrSpec>>;

/** What a call site may pass for an op's attributes: only the schema's names, each of its type. */
export type AttrArgs<S extends AttrSchema> = keyof S extends never
  ? Readonly<Record<string, never>>
  : { readonly [K in keyof S]?: AttrTypeOf<S[K]['type']> };

/** An op's attributes as its rules read them: given values over the schema's defaults. */
export type ResolvedAttrs<S extends AttrSchema> = {
  readonly [K in keyof S]: S[K] extends { readonly default: AttrValue } ? AttrTypeOf<S[K]['type']> : AttrTypeOf<S[K]['type']> | undefined;
};

/**
 * Vector-Jacobian product: given the gradients of the node's outputs (null where an
 * output does not reach the loss), emit graph that computes the gradient of each input
 * (null where an input has none).
 */
export type VjpRule = (dys: readonly (Value | null)[], node: Node, b: GraphBuilder) => (Value | null)[];

/** The schema of an op without attributes. */
export type NoAttrs = Readonly<Record<never, AttrSpec>>;

export interface OpDef<S extends AttrSchema = NoAttrs> {
  /** The attributes the op takes; the serializer writes each with this ONNX type. */
  readonly attrs: S;
  /** Output dtypes and shapes from the inputs; throws on a misuse, naming the node. */
  readonly infer: (inputs: readonly (Value | null)[], attrs: Attrs, node: string) => Signature[];
  /** null: the op is not differentiable, and the reverse pass throws if it meets it. */
  readonly vjp: VjpRule | null;
}

/** The attributes of a node (or a call) resolved against its op's schema. */
export function readAttrs<S extends AttrSchema>(schema: S, given: Attrs): ResolvedAttrs<S> {
  const out: Record<string, AttrValue | undefined> = {};
  for (const [key, spec] of Object.entries(schema)) out[key] = given[key] ?? spec.default;
  return out as ResolvedAttrs<S>;
}
