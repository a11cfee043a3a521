/**
 * Terminal output helpers: ANSI colours only when asked (stdout is a TTY and
 * NO_COLOR is unset), widths that ignore escape codes, relative times.
 */

export interface Style {
  color: boolean;
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1, dim: 2 } as const;
export type ColorName = keyof typeof CODES;

export function paint(style: Style, c: ColorName, s: string): string {
  return style.color && s.length > 0 ? `\x1b[${CODES[c]}m${s}\x1b[0m` : s;
}

const ANSI_RE = /\x1b\[[0-9;]*m/g;

export function visibleLength(s: string): number {
  return s.replace(ANSI_RE, '').length;
}

export function stripAnsi(s: string): string {
  return s.replace(ANSI_RE, '');
}

/** Colour is on for a TTY unless NO_COLOR is set (https://no-color.org) or --no-color given. */
export function wantColor(stream: { isTTY?: boolean }, flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flag === false) return false;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  return stream.isTTY === true;
}

/** "12s ago", "3m ago", "2h ago", "4d ago"; "in 5s" for clock skew. */
export function ago(iso: string | null | undefined, now: number): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const d = Math.round((now - t) / 1000);
  const abs = Math.abs(d);
  const txt = abs < 60 ? `${abs}s` : abs < 3600 ? `${Math.floor(abs / 60)}m` : abs < 86400 ? `${Math.floor(abs / 3600)}h` : `${Math.floor(abs / 86400)}d`;
  return d >= 0 ? `${txt} ago` : `in ${txt}`;
}

export function durationText(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function truncate(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, Math.max(0, max - 1)) + '…';
}
