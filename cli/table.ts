/** A plain left-aligned text table; cells may carry ANSI colours. */
import { visibleLength } from './style.js';

export function renderTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, gap = 2): string[] {
  const widths = headers.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - visibleLength(c) + gap))).join('').trimEnd();
  return [line(headers), ...rows.map(line)];
}
