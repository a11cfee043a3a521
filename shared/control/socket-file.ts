/**
 * The control socket's file: a path we may bind, and only ours to remove.
 *
 * A socket file left by a daemon that died is removed at start, but only after
 * nobody answers on it (a second instance must not steal the first one's socket).
 * Anything at the path that is not a socket is never touched.
 */
import { lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { ControlStartError } from './errors.js';

/** sun_path is 108 bytes with the terminating NUL on Linux. */
const SUN_PATH_MAX = 107;

export type StaleCheck = 'absent' | 'removed-stale';

/** Connects to a unix socket: true if something accepts, false if refused/absent. */
export function socketAnswers(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const s = connect({ path });
    const done = (v: boolean | Error): void => {
      clearTimeout(t);
      s.destroy();
      if (v instanceof Error) reject(v);
      else resolve(v);
    };
    // A listener that accepts but is too busy to be quick is still a live owner.
    const t = setTimeout(() => done(true), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') done(false);
      else done(new ControlStartError(`control socket ${path}: cannot check for a running owner: ${err.message}`));
    });
  });
}

/** Makes `path` bindable: parent directory present (0700 when we create it), no stale socket. */
export async function prepareSocketPath(path: string): Promise<StaleCheck> {
  if (Buffer.byteLength(path) > SUN_PATH_MAX) throw new ControlStartError(`control socket path is longer than ${SUN_PATH_MAX} bytes: ${path}`);
  // Parents get the usual mode: with `recursive` the mode would apply to every directory
  // created, and a 0700 $state_path hides dnsmasq's files from dnsmasq (it runs as nobody).
  mkdirSync(dirname(dirname(path)), { recursive: true });
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
  if (!isSocket) throw new ControlStartError(`control socket path ${path} exists and is not a socket; remove it or set [nucleon] control_socket`);
  if (await socketAnswers(path)) throw new ControlStartError(`control socket ${path} is in use by another running process (another instance of this daemon?)`);
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return 'removed-stale';
}

/** Inode of the socket we bound, to remove it at close only if it is still ours. */
export function inodeOf(path: string): number | undefined {
  try {
    return lstatSync(path).ino;
  } catch {
    return undefined;
  }
}

export function removeIfOurs(path: string, ino: number | undefined): void {
  if (ino === undefined || inodeOf(path) !== ino) return;
  try {
    unlinkSync(path);
  } catch {
    // Already gone: nothing to clean.
  }
}
