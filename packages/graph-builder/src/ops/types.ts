import type { GraphBuilder } from '../ir/builder.js';
import type { Attrs, DType, Node, Shape, Value } from '../ir/types.js';

export interface Signature {
  readonly dtype: DType;
  readonly shape: Shape;
}

/**
 * Vector-Jacobian product: given the gradients of the node's outputs (null where an
 * output does not reach the loss), emit graph that computes the gradient of each input
 * (null where an input has none).
 */
export type VjpRule = (dys: readonly (Value | null)[], node: Node, b: GraphBuilder) => (Value | null)[];

export interface OpDef {
  /** Output dtypes and shapes from the inputs; throws on a misuse, naming the node. */
  readonly infer: (inputs: readonly (Value | null)[], attrs: Attrs, node: string) => Signature[];
  /** null: the op is not differentiable, and the reverse pass throws if it meets it. */
  readonly vjp: VjpRule | null;
}
