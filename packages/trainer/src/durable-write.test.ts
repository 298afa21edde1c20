import { link, mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { input } from '@onnxpipe/graph-builder';
import { writeFileDurably, type DurableWriteFs } from './durable-write.js';
import { checkpoint, loadCheckpoint, trainer } from './node.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'onnxpipe-durable-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The real file system, recording each call as `<call> <file name>`; `fail` makes one call reject. */
function recordingFs(calls: string[], fail?: 'writeFile' | 'rename'): DurableWriteFs {
  const name = (path: unknown) => String(path).slice(dir.length + 1) || '<dir>';
  const error = () => Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
  return {
    open: (async (path: string, flags: string) => {
      calls.push(`open ${name(path)} ${flags}`);
      const handle = await open(path, flags);
      const record = (call: string, run: () => Promise<void>) => async () => {
        calls.push(`${call} ${name(path)}`);
        if (fail === call) throw error();
        return run();
      };
      return {
        writeFile: (text: string) => record('writeFile', () => handle.writeFile(text))(),
        sync: record('sync', () => handle.sync()),
        close: record('close', () => handle.close()),
      } as unknown as FileHandle;
    }) as DurableWriteFs['open'],
    rename: (async (from: string, to: string) => {
      calls.push(`rename ${name(from)} -> ${name(to)}`);
      if (fail === 'rename') throw error();
      return rename(from, to);
    }) as DurableWriteFs['rename'],
    rm: (async (path: string, options: object) => {
      calls.push(`rm ${name(path)}`);
      return rm(path, options);
    }) as DurableWriteFs['rm'],
  };
}

describe('writeFileDurably', () => {
  it('fsyncs the temporary file before renaming it over the target, then fsyncs the directory', async () => {
    const path = join(dir, 'a.json');
    const calls: string[] = [];
    await writeFileDurably(path, 'new', recordingFs(calls));
    const temp = `a.json.${process.pid}.tmp`;
    expect(calls).toEqual([
      `open ${temp} w`,
      `writeFile ${temp}`,
      `sync ${temp}`,
      `close ${temp}`,
      `rename ${temp} -> a.json`,
      'open <dir> r',
      'sync <dir>',
      'close <dir>',
    ]);
    expect(await readFile(path, 'utf8')).toBe('new');
  });

  it('replaces the file by rename, never in place: a reader of the old file keeps it whole', async () => {
    const path = join(dir, 'b.json');
    await writeFile(path, 'old contents');
    const held = join(dir, 'b.held');
    await link(path, held);
    await writeFileDurably(path, 'new');
    expect(await readFile(path, 'utf8')).toBe('new');
    expect(await readFile(held, 'utf8')).toBe('old contents');
    expect((await stat(path)).ino).not.toBe((await stat(held)).ino);
  });

  it.each(['writeFile', 'rename'] as const)('when %s fails, leaves the old file and no temporary file, and rethrows', async (fail) => {
    const path = join(dir, `${fail}.json`);
    await writeFile(path, 'old');
    const calls: string[] = [];
    await expect(writeFileDurably(path, 'new', recordingFs(calls, fail))).rejects.toThrow(/^ENOSPC: no space left on device$/);
    expect(calls).toContain(`rm ${fail}.json.${process.pid}.tmp`);
    expect(await readFile(path, 'utf8')).toBe('old');
    expect((await readdir(dir)).filter((f) => f.startsWith(`${fail}.json`))).toEqual([`${fail}.json`]);
  });

  it('leaves alone a temporary path it could not create', async () => {
    const path = join(dir, 'c.json');
    const blocker = `${path}.${process.pid}.tmp`;
    await writeFile(path, 'old');
    await rm(blocker, { force: true });
    await mkdir(blocker);
    await expect(writeFileDurably(path, 'new')).rejects.toThrow(/EISDIR/);
    expect((await stat(blocker)).isDirectory()).toBe(true);
    expect(await readFile(path, 'utf8')).toBe('old');
  });
});

describe('checkpoint', () => {
  it('writes each checkpoint durably beside the old one, not over it in place', async () => {
    const path = join(dir, 'model.ckpt.json');
    const model = input('x', { shape: [null, 1] }).dense(1);
    const data = [[{ x: [[0], [1]] }, [[1], [3]]]] as const;
    const train = () => trainer(model, 'mean_squared_error', 'sgd', { seed: 1, log: 0 }).handle(checkpoint({ path }));
    const first = await train().run(data, {}, { epochs: 1 });
    const held = join(dir, 'model.ckpt.held');
    await link(path, held);
    const before = await readFile(path);
    await train().run(data, first, { epochs: 1 });
    expect((await readFile(held)).equals(before)).toBe(true);
    expect((await readFile(path)).equals(before)).toBe(false);
    expect((await loadCheckpoint(path)).epoch).toBe(1);
    expect((await readdir(dir)).filter((f) => f.startsWith('model.ckpt.json.'))).toEqual([]);
  });
});
