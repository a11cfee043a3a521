/** Small helpers shared by the benchmarks: sleeping, order statistics, plain-text tables. */

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Stats { n: number; min: number; median: number; p90: number; max: number }

/** min / median / p90 / max (nearest rank, as tools/bench.sh computes them). */
export function stats(values: number[]): Stats | undefined {
  if (values.length === 0) return undefined;
  const a = [...values].sort((x, y) => x - y);
  const at = (rank: number) => a[Math.min(a.length, Math.max(1, rank)) - 1]!;
  return { n: a.length, min: a[0]!, median: at(Math.floor((a.length + 1) / 2)), p90: at(Math.ceil(a.length * 0.9)), max: a[a.length - 1]! };
}

export function median(values: number[]): number | undefined {
  return stats(values)?.median;
}

/** Rows of cells, first column left-aligned, the others right-aligned, a rule under the head. */
export function formatTable(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ').trimEnd();
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
