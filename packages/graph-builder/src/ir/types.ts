export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool';

/** A dimension: a fixed size, or the name of a symbolic one ('batch', 'steps'). */
export type Dim = number | string;
export type Shape = readonly Dim[];

export type AttrValue = number | string | readonly number[] | readonly string[] | SubGraph | TensorConst;
export type Attrs = Readonly<Record<string, AttrValue>>;

export interface TensorConst {
  readonly kind: 'tensor';
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly data: ArrayLike<number | bigint | boolean>;
}

export interface Value {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
  /** The node that produced this value; undefined for graph inputs and initializers. */
  readonly producer: Node | undefined;
  /** The contents, for constants made by the builder (used by shape rules). */
  readonly constant?: TensorConst;
}

export interface Node {
  readonly op: string;
  readonly name: string;
  readonly inputs: readonly (Value | null)[];
  readonly outputs: readonly Value[];
  readonly attrs: Attrs;
}

/** A nested graph (the body of a Loop), already closed. */
export interface SubGraph {
  readonly kind: 'graph';
  readonly name: string;
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  readonly nodes: readonly Node[];
}

export interface Initializer {
  readonly value: Value;
  readonly data: TensorConst;
}

export const isFloat = (dtype: DType): boolean => dtype === 'float32' || dtype === 'float64';

export const formatShape = (shape: Shape): string => `[${shape.join(', ')}]`;
