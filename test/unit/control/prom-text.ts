/**
 * A minimal, strict parser of the Prometheus text exposition format (0.0.4), enough
 * to prove /metrics is well formed: HELP/TYPE before samples, one TYPE per family,
 * valid metric and label names, escaped label values, float values, histogram
 * families with _bucket (le, ending in +Inf, cumulative), _sum and _count.
 * Throws with the line number on anything it does not accept.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(s: string, at: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`${at}: bad value "${s}"`);
  return Number(s);
}

function parseLabels(s: string, at: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new Error(`${at}: label without "="`);
    const name = s.slice(i, eq).trim();
    if (!LABEL.test(name)) throw new Error(`${at}: bad label name "${name}"`);
    if (s[eq + 1] !== '"') throw new Error(`${at}: label value not quoted`);
    let j = eq + 2;
    let v = '';
    for (; j < s.length && s[j] !== '"'; j++) {
      if (s[j] === '\\') {
        const n = s[++j];
        if (n === 'n') v += '\n';
        else if (n === '\\' || n === '"') v += n;
        else throw new Error(`${at}: bad escape \\${n ?? ''}`);
      } else if (s[j] === '\n') throw new Error(`${at}: raw newline in label value`);
      else v += s[j];
    }
    if (s[j] !== '"') throw new Error(`${at}: unterminated label value`);
    if (Object.hasOwn(labels, name)) throw new Error(`${at}: duplicate label ${name}`);
    labels[name] = v;
    i = j + 1;
    if (s[i] === ',') i++;
    else if (i < s.length) throw new Error(`${at}: expected "," between labels`);
  }
  return labels;
}

function familyOf(sample: string, families: Map<string, Family>): Family | undefined {
  if (families.has(sample)) return families.get(sample);
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (sample.endsWith(suffix)) {
      const f = families.get(sample.slice(0, -suffix.length));
      if (f && (f.type === 'histogram' || f.type === 'summary')) return f;
    }
  }
  return undefined;
}

export function parsePromText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const lines = text.split('\n');
  lines.forEach((line, idx) => {
    const at = `line ${idx + 1}`;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // plain comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`${at}: bad metric name "${name}"`);
      let f = families.get(name);
      if (!f) {
        f = { name, type: 'untyped', help: '', samples: [] };
        families.set(name, f);
      }
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`${at}: bad type "${rest}"`);
        if (f.samples.length > 0) throw new Error(`${at}: TYPE after samples of ${name}`);
        f.type = rest;
      } else f.help = rest;
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`${at}: not a sample line: ${line}`);
    const [, name, labelText, value] = m as unknown as [string, string, string | undefined, string];
    const f = familyOf(name, families);
    if (!f) throw new Error(`${at}: sample ${name} without HELP/TYPE`);
    f.samples.push({ name, labels: labelText ? parseLabels(labelText, at) : {}, value: parseValue(value, at) });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: Family): void {
  const series = new Map<string, Sample[]>();
  for (const s of f.samples) {
    if (!s.name.endsWith('_bucket')) continue;
    const { le, ...rest } = s.labels;
    if (le === undefined) throw new Error(`${f.name}: bucket without le`);
    const k = JSON.stringify(rest);
    series.set(k, [...(series.get(k) ?? []), s]);
  }
  for (const [k, buckets] of series) {
    const last = buckets[buckets.length - 1];
    if (!last || last.labels['le'] !== '+Inf') throw new Error(`${f.name}${k}: last bucket is not +Inf`);
    for (let i = 1; i < buckets.length; i++) {
      if ((buckets[i] as Sample).value < (buckets[i - 1] as Sample).value) throw new Error(`${f.name}${k}: buckets not cumulative`);
    }
    const count = f.samples.find((s) => s.name === `${f.name}_count` && JSON.stringify(s.labels) === k);
    if (!count || count.value !== last.value) throw new Error(`${f.name}${k}: _count differs from the +Inf bucket`);
  }
}

/** The value of one sample, matching the given labels (others ignored). */
export function sampleValue(fams: Map<string, Family>, sample: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of fams.values()) {
    for (const s of f.samples) {
      if (s.name !== sample) continue;
      if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return undefined;
}
