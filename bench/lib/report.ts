/**
 * The side-by-side report every bench prints: a table "measure | nucleon | python |
 * python/nucleon" with the same number formats everywhere, the load line, and each side's
 * SKIPPED / FAILED lines under the notes.
 */
import { cpus } from 'node:os';
import { formatTable, median, stats } from './util.js';

/** ms as seconds: two decimals below 10 s, one above ('-' when not measured). */
export const sec = (ms?: number) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`);
export const mb = (kb?: number) => (kb === undefined ? '-' : `${(kb / 1024).toFixed(1)} MiB`);

/** Python over nucleon ("2.3x", "14x"); `atLeast` when Python's figure is a lower bound. */
export function ratio(py?: number, nu?: number, atLeast = false): string {
  if (py === undefined || !nu) return '-';
  const x = py / nu;
  return `${atLeast ? '>=' : ''}${x.toFixed(x < 10 ? 1 : 0)}x`;
}

/** The single runs behind a median, in seconds: "0.23, 0.24, 0.23". */
export const runsText = (ms: number[]) => ms.map((v) => (v / 1000).toFixed(2)).join(', ') || '-';

/** "nucleon 1.5, python 2.0 (2 CPUs)": the 1-min load average each side started at (the machine may be shared). */
export function loadText(nu?: number, py?: number): string {
  return `nucleon ${nu?.toFixed(1) ?? '-'}, python ${py?.toFixed(1) ?? '-'} (${cpus().length} CPUs)`;
}

/** Rows of the side-by-side table, printed under a title naming the agent. */
export class SideBySideTable {
  private readonly rows: string[][] = [];

  /** A measure of both sides, formatted by `fmt`, with its ratio; `pythonAtLeast`: Python's figure is a lower bound. */
  add(label: string, nu?: number, py?: number, fmt = sec, pythonAtLeast = false): void {
    this.rows.push([label, fmt(nu), `${pythonAtLeast && py !== undefined ? '>=' : ''}${fmt(py)}`, ratio(py, nu, pythonAtLeast)]);
  }

  /** A row of ready-made cells (details under a measure: single runs, process counts). */
  text(label: string, nu: string, py: string, ratioCell = ''): void {
    this.rows.push([label, nu, py, ratioCell]);
  }

  print(title: string): void {
    console.log(formatTable([title, 'nucleon', 'python', 'python/nucleon'], this.rows));
  }
}

/** What the port-wiring benches (linuxbridge, ovs) measure of tap->ACTIVE, per side. */
export interface WiringTimes {
  /** one port at a time */
  single: number[];
  /** each port of the batch of `n` */
  many: number[];
  /** every port of the batch ACTIVE */
  allActiveMs?: number;
}

/** The tap->ACTIVE rows: 1 port (median and the single runs), then the batch's min / median / p90 / max. */
export function addWiringRows(t: SideBySideTable, nu: WiringTimes, py: WiringTimes, singleRuns: number, n: number): void {
  t.add(`tap->ACTIVE 1 port (median of ${singleRuns})`, median(nu.single), median(py.single));
  t.text('  1-port runs', runsText(nu.single), runsText(py.single));
  const sn = stats(nu.many), sp = stats(py.many);
  t.add(`${n} ports: min`, sn?.min, sp?.min);
  t.add(`${n} ports: median`, sn?.median, sp?.median);
  t.add(`${n} ports: p90`, sn?.p90, sp?.p90);
  t.add(`${n} ports: max = all ACTIVE`, nu.allActiveMs ?? sn?.max, py.allActiveMs ?? sp?.max);
}

/**
 * Per side, nucleon first: "<side> SKIPPED: why" if it was not measured, then `notes` (a
 * bench's own warnings), then one "<side> FAILED: error" line per error.
 */
export function printOutcomes<R extends { errors: string[]; skipped?: string }>(nu: R, py: R, notes?: (label: string, r: R) => void): void {
  for (const [label, r] of [['nucleon', nu], ['python', py]] as const) {
    if (r.skipped) console.log(`${label} SKIPPED: ${r.skipped}`);
    notes?.(label, r);
    for (const e of r.errors) console.log(`${label} FAILED: ${e}`);
  }
}
