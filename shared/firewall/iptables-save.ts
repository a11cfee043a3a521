/**
 * Reading `iptables-save -t filter` back: chains and their rules, in order. Pure.
 */

export interface SavedTable {
  /** Every chain of the table (built-in and user), in the order printed. */
  chains: string[];
  /** Rules per chain as printed, each the full `-A chain …` line. */
  rules: Map<string, string[]>;
}

export function parseIptablesSave(text: string, table = 'filter'): SavedTable {
  const chains: string[] = [];
  const rules = new Map<string, string[]>();
  let inTable = false;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line.startsWith('*')) {
      inTable = line.slice(1) === table;
      continue;
    }
    if (!inTable) continue;
    if (line === 'COMMIT') {
      inTable = false;
      continue;
    }
    if (line.startsWith(':')) {
      const name = line.slice(1).split(' ')[0] ?? '';
      chains.push(name);
      rules.set(name, []);
    } else if (line.startsWith('-A ')) {
      const chain = line.split(' ')[1] ?? '';
      const list = rules.get(chain);
      if (list === undefined) rules.set(chain, [line]);
      else list.push(line);
    }
  }
  return { chains, rules };
}

/** The chain a rule jumps or goes to (`-j X` / `-g X`), if any. */
export function ruleTarget(rule: string): string | undefined {
  const m = / -[jg] (\S+)/.exec(rule);
  return m?.[1];
}

/**
 * Canonical text of a table for "did anything change" comparisons: counters zeroed,
 * comment lines (with timestamps) dropped.
 */
export function normaliseSave(text: string): string {
  return text
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/g, '[0:0]'))
    .join('\n');
}
