/**
 * One pino line, readable: `time LEVEL agent [component] message ids… key=value…`,
 * resource ids first (they are what an operator follows), the error last with its
 * stack indented below when asked.
 */
import { levelName, type LogRecord } from './log-filter.js';
import { RESOURCE_FIELDS } from '../shared/logging/logger.js';
import { paint, truncate, type ColorName, type Style } from './style.js';

const LEVEL_COLOR: Record<string, ColorName> = { trace: 'gray', debug: 'blue', info: 'green', warn: 'yellow', error: 'red', fatal: 'magenta' };
/** Fields every line has, or that have their own place in the output. */
const SKIP = new Set<string>(['time', 'level', 'msg', 'agent', 'host', 'pid', 'hostname', 'component', 'err', 'v', ...RESOURCE_FIELDS]);

export interface FormatOptions {
  /** Print err.stack under the line (the `logs` view; not in `trace`). */
  stack?: boolean;
  maxValueChars?: number;
}

function valueText(v: unknown, max: number): string {
  if (typeof v === 'string') return truncate(/[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v, max);
  return truncate(JSON.stringify(v) ?? String(v), max);
}

function timeText(t: unknown): string {
  if (typeof t === 'string') return t;
  if (typeof t === 'number' && Number.isFinite(t)) return new Date(t).toISOString();
  return '-';
}

export function formatLogLine(rec: LogRecord, st: Style, opts: FormatOptions = {}): string {
  const max = opts.maxValueChars ?? 300;
  const lvl = levelName(rec['level']);
  const parts: string[] = [
    paint(st, 'gray', timeText(rec['time'])),
    paint(st, LEVEL_COLOR[lvl] ?? 'bold', lvl.toUpperCase().padEnd(5)),
  ];
  if (typeof rec['agent'] === 'string') parts.push(paint(st, 'magenta', rec['agent'].replace(/^nucleon-/, '').replace(/-agent$/, '')));
  if (typeof rec['component'] === 'string') parts.push(paint(st, 'dim', `[${rec['component']}]`));
  parts.push(typeof rec['msg'] === 'string' ? rec['msg'] : '');
  for (const f of RESOURCE_FIELDS) {
    const v = rec[f];
    if (typeof v === 'string' && v.length > 0) parts.push(paint(st, 'cyan', `${f}=${v}`));
  }
  for (const [k, v] of Object.entries(rec)) {
    if (SKIP.has(k) || v === undefined) continue;
    parts.push(`${paint(st, 'dim', k + '=')}${valueText(v, max)}`);
  }
  let stack = '';
  const err = rec['err'];
  if (typeof err === 'object' && err !== null) {
    const e = err as Record<string, unknown>;
    const head = `${typeof e['type'] === 'string' ? e['type'] + ': ' : ''}${typeof e['message'] === 'string' ? e['message'] : ''}`;
    parts.push(paint(st, 'red', `err=${JSON.stringify(truncate(head, max))}`));
    if (opts.stack && typeof e['stack'] === 'string') {
      // The first stack line repeats the message.
      stack = e['stack'].split('\n').slice(1).map((l) => '\n    ' + paint(st, 'dim', l.trim())).join('');
    }
  } else if (err !== undefined) parts.push(paint(st, 'red', `err=${valueText(err, max)}`));
  return parts.filter((p) => p.length > 0).join(' ') + stack;
}
