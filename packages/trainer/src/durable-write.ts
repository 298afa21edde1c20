import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The file-system calls `writeFileDurably` makes (tests pass a recording or failing copy). */
export interface DurableWriteFs {
  open: typeof open;
  rename: typeof rename;
  rm: typeof rm;
}

/**
 * Replaces `path` with `data` so that a crash or power loss leaves either the old file or the new one,
 * whole: writes `<path>.<pid>.tmp`, fsyncs it, renames it over `path`, then fsyncs the directory so the
 * rename itself is on disk. A failed write removes the temporary file and leaves `path` as it was.
 */
export async function writeFileDurably(path: string, data: string | Uint8Array, fs: DurableWriteFs = { open, rename, rm }): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  let created = false;
  try {
    const file = await fs.open(temp, 'w');
    created = true;
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await fs.rename(temp, path);
  } catch (error) {
    // The write's error is the one to report; removing what it left behind is best effort.
    if (created) await fs.rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  const directory = await fs.open(dirname(path), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
