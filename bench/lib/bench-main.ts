/**
 * The skeleton every side-by-side bench runs in (nucleon first, then the Python original,
 * never both at once), written once:
 *
 *   - a watchdog bounds the run; SIGINT / SIGTERM / the watchdog set the run's AbortFlag, the
 *     run notices it within a poll and cleans up on its own path; if it is stuck in a long
 *     call, a second timer (windDownMs) reports and cleans up from outside and exits 1;
 *   - measurement deadlines stop cleanupReserveMs before the watchdog, so the cleanup has time;
 *   - NUCLEON_BENCH_ONLY=nucleon|python runs one side only (for looking into one agent);
 *   - each side: runSide, its error kept in the side's result, then teardownSide whatever
 *     happened (the next side starts on a clean machine);
 *   - the report is printed once (also after an abort), the cleanup runs once (the normal path
 *     and the wind-down timer may both ask for it), an aborted run exits 1;
 *   - the Python node's logs are removed after a clean Python side and kept (path printed)
 *     otherwise; the last line is "<name> bench done in N s (cleaned up)".
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AbortFlag } from './abort.js';
import { API, agents } from './api.js';
import { pythonNodePaths, REPO } from './harness.js';

export type SideLabel = 'nucleon' | 'python';

/** What the skeleton needs of a side: its label (NUCLEON_BENCH_ONLY) and host (the Python node's logs). */
export interface BenchSide {
  readonly label: SideLabel;
  readonly host: string;
}

/** What the skeleton writes into a side's result: why it failed, or why it was not measured. */
export interface SideOutcome {
  errors: string[];
  skipped?: string;
}

export interface BenchMainOptions<S extends BenchSide, R extends SideOutcome> {
  /** names the final line: "<name> bench done in N s (cleaned up)" */
  name: string;
  abort: AbortFlag;
  watchdogMs: number;
  /** measurement deadlines stop this long before the watchdog */
  cleanupReserveMs: number;
  /** after an abort: clean up from outside if the run has not wound down by then */
  windDownMs: number;
  /** the sides, each with the result it fills; nucleon runs first */
  nucleon: { side: S; result: R };
  python: { side: S; result: R };
  /** the first line printed */
  header: string;
  /** what both sides share, created before them (the bench's cleanup removes it) */
  setUp?: () => Promise<void>;
  /** why a side is not run at all (its result's `skipped`), checked before it starts */
  skipBefore?: (side: S) => string | undefined;
  /** an error that means "not measured" rather than "failed": its `skipped` text */
  skippedBy?: (err: unknown) => string | undefined;
  /** when both sides run, nucleon's deadline is at most this far off, so Python gets its turn */
  nucleonShareMs?: number;
  runSide: (side: S, result: R, deadline: number) => Promise<void>;
  /** after each side, also after a failed one */
  teardownSide: (side: S) => Promise<void>;
  /** everything the run may have left (both sides, shared resources); runs once */
  cleanup: () => Promise<void>;
  report: () => void;
  /** what the kept Python log directory holds, for its line ("Python agent logs") */
  pythonLogsNote?: string;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Before anything is created: the compiled agents the bench launches exist and neutron-server answers. */
export async function preflight(distFiles: readonly string[] = []): Promise<void> {
  for (const f of distFiles) if (!existsSync(join(REPO, f))) throw new Error(`${f} missing: npm run build`);
  await agents(['none']).catch((e: unknown) => { throw new Error(`neutron-server API ${API} not reachable (test/harness/neutron-server.sh up): ${String(e)}`); });
}

/** Runs both sides inside the watchdog / signal / cleanup frame described above. */
export async function runBenchMain<S extends BenchSide, R extends SideOutcome>(o: BenchMainOptions<S, R>): Promise<void> {
  const started = Date.now();
  const deadline = started + o.watchdogMs - o.cleanupReserveMs;
  let reported = false;
  const printReport = () => { if (!reported) { reported = true; o.report(); } };
  let cleaning: Promise<void> | undefined;
  const cleanup = () => (cleaning ??= o.cleanup());
  const abort = (why: string) => {
    if (!o.abort.set(why)) return;
    console.error(`${why}: winding down and cleaning up`);
    // unref: a run that winds down by itself exits without waiting for this
    setTimeout(() => {
      console.error('the run did not wind down: cleaning up from outside');
      printReport();
      void cleanup().finally(() => process.exit(1));
    }, o.windDownMs).unref();
  };
  const watchdog = setTimeout(() => abort(`watchdog after ${o.watchdogMs / 1000} s`), o.watchdogMs);
  process.on('SIGINT', () => abort('interrupted'));
  process.on('SIGTERM', () => abort('terminated'));
  let pyFailed = false;
  try {
    console.log(o.header);
    await o.setUp?.();
    const only = process.env['NUCLEON_BENCH_ONLY'];
    for (const { side, result } of [o.nucleon, o.python]) {
      if (only && only !== side.label) continue;
      if (o.abort.aborted) break;
      const skip = o.skipBefore?.(side);
      if (skip !== undefined) { result.skipped = skip; continue; }
      const sideDeadline = side.label === 'nucleon' && !only && o.nucleonShareMs !== undefined ? Math.min(deadline, Date.now() + o.nucleonShareMs) : deadline;
      try {
        await o.runSide(side, result, sideDeadline);
      } catch (e) {
        const skipped = o.skippedBy?.(e);
        if (skipped !== undefined) result.skipped = skipped;
        else result.errors.push(message(e));
        if (side.label === 'python') pyFailed = true;
      }
      await o.teardownSide(side);
    }
    printReport();
  } finally {
    if (o.abort.aborted) { printReport(); process.exitCode = 1; }
    await cleanup();
    clearTimeout(watchdog);
    const logs = pythonNodePaths(o.python.side.host).logs;
    if (!pyFailed && o.python.result.errors.length === 0) rmSync(logs, { recursive: true, force: true });
    else console.error(`${o.pythonLogsNote ?? 'Python agent logs'}: ${logs}`);
    console.log(`${o.name} bench done in ${((Date.now() - started) / 1000).toFixed(0)} s (cleaned up)`);
  }
}

/** Runs a bench's main(): an error that escapes it is printed with its stack and the exit code is 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.stack ?? err.message : String(err));
    process.exitCode = 1;
  });
}
