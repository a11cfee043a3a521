/**
 * Atomic config-file replacement (dnsmasq hosts, haproxy cfg, keepalived…):
 * readers see either the old or the new content, never a torn file, and a crash
 * leaves at worst a stray temp file (named `.<base>.tmp-*`, swept by owners).
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** File mode for a new file; an existing file keeps its mode unless this is given. Default 0o644. */
  mode?: number;
}

/**
 * Writes `content` to `path` atomically: temp file in the same directory (rename is
 * only atomic within a filesystem), write, fsync, rename, fsync the directory so the
 * rename itself survives a crash.
 *
 * Compare-before-write: when the file already holds exactly `content` (and the mode
 * matches when one is given), nothing is written and `false` is returned, so callers
 * can skip the SIGHUP. Returns `true` when the file changed.
 */
export async function writeFileAtomic(path: string, content: string | Buffer, opts: AtomicWriteOptions = {}): Promise<boolean> {
  const data = typeof content === 'string' ? Buffer.from(content) : content;
  let currentMode: number | undefined;
  try {
    const [cur, st] = await Promise.all([readFile(path), stat(path)]);
    currentMode = st.mode & 0o7777;
    if (cur.equals(data) && (opts.mode === undefined || opts.mode === currentMode)) return false;
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  const mode = opts.mode ?? currentMode ?? 0o644;
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    // open()'s mode is filtered by the umask; set it explicitly.
    await fh.chmod(mode);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dir);
  return true;
}

/** Removes `path`; a missing file is success. Returns whether something was removed. */
export async function removeFile(path: string): Promise<boolean> {
  try {
    await unlink(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
  await fsyncDir(dirname(path));
  return true;
}

async function fsyncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

