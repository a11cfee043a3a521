/**
 * Pure ownership and adoption decisions: is the PID in a pid file ours, alive,
 * and running the argv we want? Only a PID whose cmdline carries the marker is
 * ever adopted or signalled; anything else is somebody else's and left alone.
 */
import { basename } from 'node:path';
import { OpError } from '../exec/errors.js';
import { isDeadState } from './proc.js';
import type { SupervisedProcessSpec } from './types.js';

/** What /proc showed for one PID (undefined fields: file unreadable). */
export interface ProcSnapshot {
  pid: number;
  /** Scheduler state letter from /proc/<pid>/status. */
  state: string | undefined;
  cmdline: string[];
  /** waitpid(2)-style status of a zombie, from /proc/<pid>/stat. */
  exitStatus: number | undefined;
}

/** Where a spec's process stands, judged from its pid file and /proc. */
export type Observation =
  | { kind: 'absent' } // no pid file, or no PID in it
  | { kind: 'dead'; pid: number; exitStatus: number | undefined } // gone, or a zombie
  | { kind: 'foreign'; pid: number } // alive but not ours (PID reused): never signal it
  | { kind: 'ours'; pid: number; sameArgv: boolean };

/** The ownership marker of a spec: explicit, or the id after its first `:`. */
export function markerOf(spec: Pick<SupervisedProcessSpec, 'id' | 'marker'>): string {
  if (spec.marker !== undefined) return spec.marker;
  const i = spec.id.indexOf(':');
  return i >= 0 ? spec.id.slice(i + 1) : spec.id;
}

/**
 * Rejects a spec whose marker cannot be recognised later: an empty marker would
 * match any process, and one missing from argv would never match, so the process
 * would be restarted on every ensure.
 */
export function assertRecognisable(spec: SupervisedProcessSpec): void {
  const marker = markerOf(spec);
  if (marker.length < 4) throw new OpError(`process ${spec.id}: marker ${JSON.stringify(marker)} is too short to identify a process`, 'FATAL');
  if (spec.argv.length === 0) throw new OpError(`process ${spec.id}: empty argv`, 'FATAL');
  if (!cmdlineHasMarker(spec.argv, marker)) throw new OpError(`process ${spec.id}: marker ${JSON.stringify(marker)} does not occur in argv`, 'FATAL');
}

/** Neutron's test: the uuid occurs in the space-joined cmdline. */
export function cmdlineHasMarker(cmdline: readonly string[], marker: string): boolean {
  return marker !== '' && cmdline.join(' ').includes(marker);
}

/**
 * Whether a running cmdline is the wanted argv. argv[0] is compared by basename
 * (`dnsmasq` vs `/usr/sbin/dnsmasq`); a cmdline with one extra leading element is
 * accepted too, for programs started through a `#!` interpreter (as Neutron's
 * cmd_matches_expected).
 */
export function sameArgv(cmdline: readonly string[], argv: readonly string[]): boolean {
  const norm = (a: readonly string[]): string[] => a.map((s, i) => (i === 0 ? basename(s) : s));
  const want = norm(argv);
  const eq = (a: readonly string[]): boolean => a.length === want.length && a.every((s, i) => s === want[i]);
  return eq(norm(cmdline)) || (cmdline.length === want.length + 1 && eq(norm(cmdline.slice(1))));
}

/**
 * Classifies a pid file's PID. `snap` undefined means /proc/<pid> does not exist.
 * A zombie is dead; an empty cmdline (zombie mid-exit, kernel thread) is not ours.
 */
export function observe(pid: number | undefined, snap: ProcSnapshot | undefined, spec: SupervisedProcessSpec): Observation {
  if (pid === undefined) return { kind: 'absent' };
  if (snap === undefined) return { kind: 'dead', pid, exitStatus: undefined };
  if (isDeadState(snap.state)) return { kind: 'dead', pid, exitStatus: snap.exitStatus };
  if (!cmdlineHasMarker(snap.cmdline, markerOf(spec))) return { kind: 'foreign', pid };
  return { kind: 'ours', pid, sameArgv: sameArgv(snap.cmdline, spec.argv) };
}

/** What `ensure` does about an observation. */
export type EnsureDecision =
  | { action: 'keep'; pid: number } // ours, same argv: adopt / leave running
  | { action: 'restart'; pid: number } // ours, argv changed: stop it, then start
  | { action: 'start' }; // nothing of ours is running (absent, dead, or a foreign PID)

export function decideEnsure(obs: Observation): EnsureDecision {
  switch (obs.kind) {
    case 'ours':
      return obs.sameArgv ? { action: 'keep', pid: obs.pid } : { action: 'restart', pid: obs.pid };
    case 'absent':
    case 'dead':
    case 'foreign':
      return { action: 'start' };
  }
}
