import type { Random } from './random.js';
import { elementCount } from '../ir/element-count.js';

export type InitializerName = 'glorot_uniform' | 'he_normal' | 'uniform' | 'normal' | 'zeros' | 'ones';
/** An initializer by name, or uniform/normal with an explicit scale (half-width or standard deviation). */
export type InitializerSpec = InitializerName | { readonly kind: 'uniform' | 'normal'; readonly scale: number };

const names: readonly InitializerName[] = ['glorot_uniform', 'he_normal', 'uniform', 'normal', 'zeros', 'ones'];

export function validateInitializer(spec: unknown, where: string): InitializerSpec {
  if (typeof spec === 'string' && (names as readonly string[]).includes(spec)) return spec as InitializerName;
  if (typeof spec === 'object' && spec !== null) {
    const { kind, scale } = spec as { kind?: unknown; scale?: unknown };
    if ((kind === 'uniform' || kind === 'normal') && typeof scale === 'number' && scale > 0) return { kind, scale };
  }
  throw new Error(`${where}: unknown initializer ${JSON.stringify(spec)}; expected one of ${names.join(', ')} or { kind: 'uniform' | 'normal', scale > 0 }`);
}

/** Fill `out` (a parameter of shape `dims`; fans as Keras/Axon take them from a dense kernel's shape, unless given) from `random`. */
export function fill(spec: InitializerSpec, dims: readonly number[], random: Random, out: Float32Array | Float64Array, fans?: readonly [number, number]): void {
  const fanIn = fans ? fans[0] : dims.length >= 2 ? elementCount(dims.slice(0, -1)) : (dims[0] ?? 1);
  const fanOut = fans ? fans[1] : dims.length >= 2 ? dims[dims.length - 1]! : (dims[0] ?? 1);
  const kind = typeof spec === 'string' ? spec : spec.kind;
  const draw: () => number = {
    zeros: () => 0,
    ones: () => 1,
    glorot_uniform: () => {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      return (2 * random.uniform() - 1) * limit;
    },
    he_normal: () => random.normal() * Math.sqrt(2 / fanIn),
    uniform: () => (2 * random.uniform() - 1) * (typeof spec === 'string' ? 0.01 : spec.scale),
    normal: () => random.normal() * (typeof spec === 'string' ? 0.01 : spec.scale),
  }[kind];
  for (let i = 0; i < out.length; i++) out[i] = draw();
}
