import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/xor-model.js';
import { readDataFile } from './data-file.js';
import type { InputLayout } from './examples.js';

const layout: InputLayout[] = [
  { name: 'x1', shape: [1], width: 1 },
  { name: 'v', shape: [2], width: 2 },
];

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('readDataFile', () => {
  it('reads CSV columns by name: x1 or x1_0, v_0 … v_n, target or target_i', async () => {
    const path = await file('a.csv', 'v_1,target,x1,v_0\r\n1,0,5,2\n\n3,1,6,4\n');
    expect(await readDataFile(path, layout)).toEqual([
      { inputs: { x1: [5], v: [2, 1] }, target: [0] },
      { inputs: { x1: [6], v: [4, 3] }, target: [1] },
    ]);
    const wide = await file('b.csv', '"x1_0",v_0,v_1,target_0,target_1\n1,2,3,0,1\n');
    expect(await readDataFile(wide, layout)).toEqual([{ inputs: { x1: [1], v: [2, 3] }, target: [0, 1] }]);
  });

  it('reads quoted CSV fields whole: commas, quotes and line breaks inside quotes', async () => {
    const path = await file('quoted.csv', 'x1,"v_0","v_1",target\n"1",2,"3",0\n\n4,"5","6","1"\n');
    expect(await readDataFile(path, layout)).toEqual([
      { inputs: { x1: [1], v: [2, 3] }, target: [0] },
      { inputs: { x1: [4], v: [5, 6] }, target: [1] },
    ]);
    // A comma inside quotes stays in its field: one field too few to split, and its value named whole.
    const comma = await file('comma.csv', 'x1,v_0,v_1,target\n1,"2,5",3,0\n');
    await expect(readDataFile(comma, layout)).rejects.toThrow(/^.*comma\.csv line 2, column 'v_0': '2,5' is not a number$/);
    const header = await file('header.csv', '"x1","v_0","v_1","target","a ""quoted"", column"\n1,2,3,0,9\n');
    await expect(readDataFile(header, layout)).rejects.toThrow(/^.*header\.csv: unexpected column 'a "quoted", column'$/);
    const multiline = await file('multiline.csv', 'x1,v_0,v_1,target\n1,2,3,0\n"4\n",5,6,1\n7,8,"x\ny",0\n');
    await expect(readDataFile(multiline, layout)).rejects.toThrow(/^.*multiline\.csv line 6, column 'v_1': 'x\ny' is not a number$/);
  });

  it('reads JSONL rows with numbers or arrays', async () => {
    const path = await file('a.jsonl', '{"x1":5,"v":[2,1],"target":0}\n\n{"x1":[6],"v":[4,3],"target":[1]}\n');
    expect(await readDataFile(path, layout)).toEqual([
      { inputs: { x1: [5], v: [2, 1] }, target: [0] },
      { inputs: { x1: [6], v: [4, 3] }, target: [1] },
    ]);
  });

  it.each([
    ['missing.csv', null, /^cannot read --data '.*missing\.csv': ENOENT/],
    ['data.txt', 'x', /^--data '.*data\.txt' must be a \.csv or \.jsonl file$/],
    ['empty.csv', 'x1,v_0,v_1,target\n', /^--data '.*empty\.csv' has no examples$/],
    ['no-v.csv', 'x1,target\n1,0\n', /^.*no-v\.csv: no column for input 'v' \(2 values per row: 'v_0' … 'v_1'\)$/],
    ['no-x.csv', 'v_0,v_1,target\n1,0,1\n', /^.*no-x\.csv: no column for input 'x1' \(1 value per row: 'x1'\)$/],
    ['no-target.csv', 'x1,v_0,v_1\n1,0,1\n', /^.*no-target\.csv: no 'target' column \(or 'target_0', 'target_1', …\)$/],
    ['extra.csv', 'x1,v_0,v_1,target,x3\n1,0,1,0,0\n', /^.*extra\.csv: unexpected column 'x3'$/],
    ['fields.csv', 'x1,v_0,v_1,target\n1,0,1,0\n1,0,1\n', /^.*fields\.csv line 3: 3 fields, the header has 4$/],
    ['nan.csv', 'x1,v_0,v_1,target\n1,0,1,0\n1,abc,1,0\n', /^.*nan\.csv line 3, column 'v_0': 'abc' is not a number$/],
    ['blank.csv', 'x1,v_0,v_1,target\n1,,1,0\n', /^.*blank\.csv line 2, column 'v_0': '' is not a number$/],
    ['quote.csv', 'x1,v_0,v_1,target\n1,"2,1,0\n', /^.*quote\.csv: invalid CSV: Quote Not Closed: the parsing is finished with an opening quote at line 2/],
    ['bad.jsonl', '{"x1":1,"v":[1,2],"target":0}\n{"x1":1,\n', /^.*bad\.jsonl line 2: invalid JSON \(/],
    ['array.jsonl', '[1,2]\n', /^.*array\.jsonl line 1: expected an object like \{"x1": \[0\], "target": \[1\]\}$/],
    ['unknown.jsonl', '{"x1":1,"v":[1,2],"target":0,"w":1}\n', /^.*unknown\.jsonl line 1: unknown field 'w'; expected x1, v, target$/],
    ['missing.jsonl', '{"x1":1,"target":0}\n', /^.*missing\.jsonl line 1: missing 'v'$/],
    ['width.jsonl', '{"x1":1,"v":[1,2,3],"target":0}\n', /^.*width\.jsonl line 1: input 'v' has 3 values, the model takes 2$/],
    ['text.jsonl', '{"x1":"1","v":[1,2],"target":0}\n', /^.*text\.jsonl line 1: input 'x1' must be a number or an array of numbers, got "1"$/],
  ])('refuses %s', async (name, text, message) => {
    const path = text === null ? join(dir, name) : await file(name, text);
    await expect(readDataFile(path, layout)).rejects.toThrow(message);
  });
});
