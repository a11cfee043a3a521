/**
 * `nucleon logs`: the daemons' pino JSON, filtered by agent, resource id, time and
 * level; readable and coloured on a terminal, JSON lines when piped (so jq still
 * works), or as `--format` says.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { AgentKind } from '../shared/agent/constants.js';
import { daemonOf } from './agents.js';
import type { CommandIo } from './io.js';
import { LEVELS, matchesFilter, parseLogLine, parseSince, type LevelName, type LogFilter } from './log-filter.js';
import { formatLogLine } from './log-format.js';
import { openLogSource } from './log-source.js';

export interface LogsOptions {
  agent?: AgentKind;
  resource?: string;
  since?: string;
  level?: LevelName;
  file?: string;
  follow?: boolean;
  format: 'pretty' | 'json';
}

export interface LogsIo extends CommandIo {
  /** Resolves when the output can take more (backpressure on a slow pipe). */
  drain?(): Promise<void>;
  /** out() returns false when the consumer is full. */
  out(line: string): boolean | void;
}

export function buildFilter(opts: LogsOptions, now: number): LogFilter {
  const f: LogFilter = {};
  if (opts.agent) f.agent = daemonOf(opts.agent);
  if (opts.resource) f.resource = opts.resource;
  if (opts.since) f.since = parseSince(opts.since, now);
  if (opts.level) f.level = LEVELS[opts.level];
  return f;
}

/** Filters and prints every line of `input`; returns the number of lines printed. */
export async function filterLogStream(input: Readable, filter: LogFilter, format: 'pretty' | 'json', io: LogsIo): Promise<number> {
  let printed = 0;
  const rl = createInterface({ input, crlfDelay: Infinity });
  for await (const text of rl) {
    if (text.length === 0) continue;
    const line = parseLogLine(text);
    if (!matchesFilter(line, filter)) continue;
    const shown = format === 'json' || !line.rec ? text : formatLogLine(line.rec, io.style, { stack: true });
    printed += 1;
    if (io.out(shown) === false && io.drain) await io.drain();
  }
  return printed;
}

export async function runLogs(opts: LogsOptions, io: LogsIo): Promise<number> {
  let filter: LogFilter;
  try {
    filter = buildFilter(opts, io.now());
  } catch (err) {
    io.err(err instanceof Error ? err.message : String(err));
    return 2;
  }
  let source;
  try {
    source = openLogSource(opts.file, {
      ...(opts.agent ? { daemon: daemonOf(opts.agent) } : {}),
      ...(filter.since !== undefined ? { since: filter.since } : {}),
      ...(opts.follow ? { follow: true } : {}),
    });
  } catch (err) {
    io.err(err instanceof Error ? err.message : String(err));
    return 2;
  }
  const failed = new Promise<string>((resolve) => source.stream.once('error', (e: Error) => resolve(e.message)));
  const done = filterLogStream(source.stream, filter, opts.format, io).then(
    () => undefined,
    (e: unknown) => (e instanceof Error ? e.message : String(e)),
  );
  const problem = await Promise.race([done, failed]);
  if (typeof problem === 'string') {
    io.err(`cannot read ${source.describe}: ${problem}`);
    return 2;
  }
  const child = source.child;
  if (child) {
    const code = child.exitCode !== null || child.signalCode !== null ? child.exitCode : await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    if (code !== 0 && code !== null) {
      io.err(`journalctl exited with status ${code}`);
      return 2;
    }
  }
  return 0;
}
