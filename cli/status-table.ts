/**
 * The `nucleon status` table, from /status answers (or the reason a daemon did not
 * answer). Pure: the answers, the time and the style in; lines out.
 */
import type { StatusDocument } from '../shared/control/status.js';
import { ago, durationText, paint, truncate, type Style } from './style.js';
import { renderTable } from './table.js';

export type StatusResult =
  | { socket: string; name: string; answered: true; status: StatusDocument }
  | { socket: string; name: string; answered: false; reason: string };

export const STATUS_HEADERS = ['DAEMON', 'HOST', 'BROKER', 'LAST REPORT', 'LAST APPLY', 'HEALTH'] as const;

function brokerCell(s: StatusDocument, st: Style): string {
  if (!s.broker) return '-';
  return s.broker.connected ? paint(st, 'green', 'connected') : paint(st, 'red', 'disconnected');
}

function reportCell(s: StatusDocument, now: number, st: Style): string {
  const r = s.report_state;
  if (!r) return '-';
  if (r.consecutive_failures > 0) {
    return paint(st, 'red', `failing ×${r.consecutive_failures}`) + (r.last_report_at ? `, ok ${ago(r.last_report_at, now)}` : '');
  }
  if (!r.last_report_at) return 'never';
  return `${r.last_result ?? '?'} ${ago(r.last_report_at, now)}`;
}

function applyCell(s: StatusDocument, now: number, st: Style): string {
  const a = s.reconcile?.last_apply;
  if (!s.reconcile) return '-';
  if (!a) return 'never';
  const parts = [ago(a.at, now), durationText(a.duration_ms)];
  if (a.ops !== null) parts.push(`${a.ops} ops`);
  if (a.full_sync) parts.push('full');
  let text = parts.join(', ');
  if (a.error) text += ' ' + paint(st, 'red', 'threw');
  else if (a.failed) text += ' ' + paint(st, 'yellow', `${a.failed} failed`);
  return text;
}

function healthCell(s: StatusDocument, st: Style): string {
  const h = s.health;
  if (h.state === 'ok') return paint(st, 'green', 'ok');
  const n = h.failing.length;
  const text = n > 0 ? `${h.state} (${n} failing)` : h.state;
  return paint(st, h.state === 'down' ? 'red' : 'yellow', text);
}

export function statusRow(r: StatusResult, now: number, st: Style): string[] {
  if (!r.answered) return [r.name, '-', '-', '-', '-', paint(st, 'red', 'down') + `: ${r.reason}`];
  const s = r.status;
  return [s.daemon, s.host, brokerCell(s, st), reportCell(s, now, st), applyCell(s, now, st), healthCell(s, st)];
}

/** The table, then one line per failing key so "degraded" says what and why. */
export function renderStatus(results: readonly StatusResult[], now: number, st: Style, maxErrorChars = 120): string[] {
  const lines = renderTable(STATUS_HEADERS.map((h) => paint(st, 'bold', h)), results.map((r) => statusRow(r, now, st)));
  const details: string[] = [];
  for (const r of results) {
    if (!r.answered) continue;
    for (const f of r.status.health.failing) {
      const attempts = f.attempts > 0 ? ` (${f.attempts} attempt${f.attempts === 1 ? '' : 's'})` : '';
      details.push(`  ${paint(st, 'yellow', '!')} ${r.status.daemon} ${paint(st, 'cyan', f.key)}: ${truncate(f.error, maxErrorChars)}${attempts}`);
    }
  }
  return details.length > 0 ? [...lines, '', ...details] : lines;
}

/** 0 all ok, 1 something degraded or down. */
export function statusExitCode(results: readonly StatusResult[]): number {
  return results.every((r) => r.answered && r.status.health.state === 'ok') ? 0 : 1;
}
