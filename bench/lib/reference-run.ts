/**
 * Child process of reference.ts: `reference-run.ts <workload> <its steps> <steps to train>`
 * trains the float64 hand-written loop and prints `{ losses, evalLoss }` as JSON.
 */
import { trainPlain } from './plain.js';
import { evaluateLoss, initialParams, workloadsByName, workloadData } from './workloads.js';

const [name, total, steps] = process.argv.slice(2);
const make = workloadsByName[name as keyof typeof workloadsByName];
if (!make) throw new Error(`reference-run: unknown workload ${JSON.stringify(name)}; expected one of ${Object.keys(workloadsByName).join(', ')}`);
const w = make(Number(total));
const { batches, evalBatch } = workloadData(w);
const out = trainPlain(w, initialParams(w), batches, Number(steps), Float64Array);
process.stdout.write(JSON.stringify({ losses: Array.from(out.losses), evalLoss: evaluateLoss(w, out.params, evalBatch) }));
