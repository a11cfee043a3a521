/**
 * Full link dump for the watcher: `ip -json link show` in the process's own
 * namespace. KERNEL.md 5d: for 2002 links, spawning `ip -json` and JSON.parse took
 * about 30 ms, the netlink package's `getLinks()` about 49 ms (it decodes every
 * attribute, stats64 as BigInt, in JavaScript), so the dump goes through `ip`.
 */
import type { CommandRunner } from '../exec/command-runner.js';
import type { LinkInfo, LinkScanner } from './link-watcher-types.js';

const MAC_RE = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;

/** Lower-case 6-byte MAC, or '' for anything else (loopback is 6 bytes of 0 and kept as such). */
export function normaliseMac(v: unknown): string {
  if (typeof v !== 'string') return '';
  const s = v.toLowerCase();
  return MAC_RE.test(s) ? s : '';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses `ip -json link show` output into {@link LinkInfo}s, defensively: entries
 * without a string `ifname` or an integer `ifindex` are skipped, a missing `mtu`
 * becomes 0, a missing `flags` means down. Throws only when the text is not a JSON
 * array (empty output counts as no links).
 */
export function parseIpLinkJson(stdout: string): LinkInfo[] {
  const text = stdout.trim();
  if (text === '') return [];
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new Error('ip -json link show: expected a JSON array');
  const out: LinkInfo[] = [];
  for (const e of parsed) {
    if (!isRecord(e)) continue;
    const name = e.ifname;
    const index = e.ifindex;
    if (typeof name !== 'string' || name === '' || typeof index !== 'number' || !Number.isInteger(index)) continue;
    const flags = Array.isArray(e.flags) ? e.flags : [];
    const link: LinkInfo = {
      name,
      index,
      mac: normaliseMac(e.address),
      up: flags.includes('UP'),
      mtu: typeof e.mtu === 'number' ? e.mtu : 0,
    };
    if (typeof e.master === 'string' && e.master !== '') link.master = e.master;
    if (typeof e.operstate === 'string') link.operstate = e.operstate;
    out.push(link);
  }
  return out;
}

export interface IpLinkScannerOptions {
  runner: CommandRunner;
  /** Default 10 s. */
  timeoutMs?: number;
}

/** {@link LinkScanner} on `ip -json link show` through the CommandRunner. */
export class IpLinkScanner implements LinkScanner {
  private readonly runner: CommandRunner;
  private readonly timeoutMs: number;

  constructor(opts: IpLinkScannerOptions) {
    this.runner = opts.runner;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  async scan(): Promise<LinkInfo[]> {
    const r = await this.runner.run(['ip', '-json', 'link', 'show'], { timeoutMs: this.timeoutMs });
    return parseIpLinkJson(r.stdout);
  }
}
