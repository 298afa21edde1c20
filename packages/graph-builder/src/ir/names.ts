/**
 * The one authority for names in a model (outer graph and subgraphs share it, since
 * ONNX forbids a subgraph name from shadowing an outer one). Users name inputs, outputs
 * and parameters; everything else gets a deterministic generated name.
 */
export class NameAuthority {
  private readonly taken = new Set<string>();
  private readonly counters = new Map<string, number>();

  /** Claim a name chosen by the user; throws if it is already in use. */
  claim(name: string, what: string): string {
    if (name.length === 0) throw new Error(`${what}: a name must not be empty`);
    if (this.taken.has(name)) throw new Error(`${what}: the name '${name}' is already used in this model`);
    this.taken.add(name);
    return name;
  }

  /** A fresh name `${prefix}_${n}`, skipping names already claimed. */
  fresh(prefix: string): string {
    let n = this.counters.get(prefix) ?? 0;
    let name = `${prefix}_${n}`;
    while (this.taken.has(name)) name = `${prefix}_${++n}`;
    this.counters.set(prefix, n + 1);
    this.taken.add(name);
    return name;
  }

  has(name: string): boolean {
    return this.taken.has(name);
  }
}
