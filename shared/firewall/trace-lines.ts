/**
 * The iptables lines of some ports, for `nucleon trace`: every rule of the filter and
 * raw tables (IPv4 and IPv6) that names one of their taps or per-port chains, or sets
 * their conntrack zone. Chains and taps carry port_id[:10] in their names (tap +
 * port_id[:11], `<wrap>-i` + port_id[:10]), so that fragment finds them all.
 * Read-only; a missing tool or table gives no lines rather than an error.
 */
import type { CommandRunner } from '../exec/command-runner.js';

const SAVES: ReadonlyArray<readonly string[]> = [
  ['iptables-save', '-t', 'filter'],
  ['iptables-save', '-t', 'raw'],
  ['ip6tables-save', '-t', 'filter'],
  ['ip6tables-save', '-t', 'raw'],
];

export async function firewallLinesFor(runner: CommandRunner, portIds: readonly string[]): Promise<string[]> {
  const tags = portIds.map((id) => id.toLowerCase().slice(0, 10)).filter((t) => t.length === 10);
  if (tags.length === 0) return [];
  const texts = await Promise.all(SAVES.map((argv) => runner.run([...argv]).then((r) => r.stdout, () => '')));
  const out: string[] = [];
  for (const [i, text] of texts.entries()) {
    const label = `${SAVES[i]![0] === 'iptables-save' ? 'v4' : 'v6'} ${SAVES[i]![2]}`;
    for (const l of text.split('\n')) if (l.startsWith('-A ') && tags.some((t) => l.includes(t))) out.push(`${label}: ${l}`);
  }
  return out;
}
