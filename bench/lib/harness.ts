/**
 * The harness's Python node (test/harness/python-agents.sh) as the benchmarks use it:
 * `neutron-server.sh up|down --python-agents-only` with NUCLEON_PY_NODE, and the node's
 * pid / launch files and logs.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const STATE_DIR = process.env['NUCLEON_TEST_STATE_DIR'] ?? '/var/lib/nucleon-test';
export const LOG_DIR = process.env['NUCLEON_TEST_LOG_DIR'] ?? '/var/log/nucleon-test';
/** Repository root (dist/bench/lib/.. /..: this file runs compiled under dist/). */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const HARNESS = join(REPO, 'test/harness/neutron-server.sh');

/** Runs the harness script for a Python node; output lines are kept for error messages. */
export function harness(args: string[], pyNode: string): { done: Promise<number | null>; output: string[] } {
  const output: string[] = [];
  const child = spawn('bash', [HARNESS, ...args], {
    env: { ...process.env, NUCLEON_PY_NODE: pyNode },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (b: Buffer) => { for (const l of b.toString('utf8').split('\n')) if (l) output.push(l); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return { done: new Promise((res) => child.once('exit', (c) => res(c))), output };
}

/** Where the harness keeps a Python node's pid files, state and logs. */
export function pythonNodePaths(pyNode: string): { pids: string; state: string; logs: string; nodeConf: string } {
  const state = join(STATE_DIR, 'python', pyNode);
  return { pids: join(STATE_DIR, 'pids/python', pyNode), state, logs: join(LOG_DIR, 'python', pyNode), nodeConf: join(state, 'node.conf') };
}

/** A number from the node's pid dir (`linuxbridge.pid`, `linuxbridge.launch`), if any. */
export function readPidFile(pyNode: string, file: string): number | undefined {
  try {
    const v = Number(readFileSync(join(pythonNodePaths(pyNode).pids, file), 'utf8').trim());
    return Number.isFinite(v) && v > 0 ? v : undefined;
  } catch { return undefined; }
}
