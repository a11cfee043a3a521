/**
 * A stateful fake of the kernel objects the L3 agent reads and writes: namespaces,
 * links (veth pairs across namespaces), IPv4 addresses, routes with a protocol,
 * ip_forward. Answers the commands the agent and the executor run (`ip -json …`,
 * `sysctl`, `ip [-n NS] -force -batch -`, `ip netns del`) and records every argv.
 */
import type { CommandRunner, RunOptions, RunResult } from '../../../shared/exec/command-runner.js';
import { CommandError } from '../../../shared/exec/errors.js';

export interface FakeLink { name: string; up: boolean; mtu: number; mac: string; peer?: { ns: string; name: string } }
export interface FakeRoute { dst: string; via?: string; dev?: string; proto: string }
export interface FakeNs { links: Map<string, FakeLink>; addrs: Array<{ dev: string; cidr: string }>; routes: FakeRoute[]; forward: string }

const ROOT = '';
let macN = 0;
const mac = () => `fe:00:00:00:${((++macN >> 8) & 0xff).toString(16).padStart(2, '0')}:${(macN & 0xff).toString(16).padStart(2, '0')}`;

export class FakeKernel implements CommandRunner {
  readonly ns = new Map<string, FakeNs>([[ROOT, FakeKernel.emptyNs()]]);
  readonly calls: Array<{ argv: string[]; netns?: string; input?: string }> = [];

  static emptyNs(): FakeNs {
    return { links: new Map([['lo', { name: 'lo', up: false, mtu: 65536, mac: '00:00:00:00:00:00' }]]), addrs: [], routes: [], forward: '0' };
  }

  /** Commands that change something (not reads, not arping). */
  writes(): Array<{ argv: string[]; netns?: string; input?: string }> {
    return this.calls.filter((c) => !c.argv.includes('-json') && !(c.argv[0] === 'sysctl' && c.argv[1] === '-n') && c.argv[0] !== 'arping');
  }

  /** A plain-data dump, for before/after comparisons. */
  dump(): unknown {
    return [...this.ns].map(([n, s]) => [n, [...s.links.values()].map((l) => ({ ...l })), [...s.addrs], [...s.routes], s.forward]);
  }

  private fail(argv: readonly string[], stderr: string): never {
    throw new CommandError({ argv, exitCode: 1, stdout: '', stderr, timedOut: false });
  }

  private get(name: string, argv: readonly string[]): FakeNs {
    return this.ns.get(name) ?? this.fail(argv, `Cannot open network namespace "${name}": No such file or directory`);
  }

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    this.calls.push({ argv: [...argv], ...(opts.netns !== undefined ? { netns: opts.netns } : {}), ...(opts.input !== undefined ? { input: opts.input } : {}) });
    const ok = (stdout = ''): RunResult => ({ stdout, stderr: '', exitCode: 0, durationMs: 0 });
    const a = argv.join(' ');
    const where = this.get(opts.netns ?? ROOT, argv);
    if (a === 'ip -json netns list') return ok(JSON.stringify([...this.ns.keys()].filter((n) => n !== ROOT).map((name) => ({ name }))));
    if (a === 'ip -json -details link show') {
      return ok(JSON.stringify([...where.links.values()].map((l, i) => ({ ifindex: i + 1, ifname: l.name, flags: l.up ? ['UP'] : [], mtu: l.mtu, address: l.mac, ...(l.peer ? { linkinfo: { info_kind: 'veth' } } : {}) }))));
    }
    if (a === 'ip -json addr show') {
      return ok(JSON.stringify([...where.links.values()].map((l) => ({ ifname: l.name, addr_info: where.addrs.filter((x) => x.dev === l.name).map((x) => ({ family: 'inet', local: x.cidr.split('/')[0], prefixlen: Number(x.cidr.split('/')[1]), scope: 'global' })) }))));
    }
    const rs = /^ip -json route show proto (\S+)$/.exec(a);
    if (rs) return ok(JSON.stringify(where.routes.filter((r) => r.proto === rs[1]).map((r) => ({ dst: r.dst, ...(r.via ? { gateway: r.via } : {}), ...(r.dev ? { dev: r.dev } : {}), protocol: r.proto }))));
    if (a === 'sysctl -n net.ipv4.ip_forward') return ok(`${where.forward}\n`);
    if (argv[0] === 'sysctl' && argv[1] === '-q' && argv[2] === '-w') {
      for (const kv of argv.slice(3)) if (kv === 'net.ipv4.ip_forward=1') where.forward = '1';
      return ok();
    }
    if (argv[0] === 'ip' && argv[1] === 'netns' && argv[2] === 'del') { this.get(argv[3]!, argv); this.delNs(argv[3]!); return ok(); }
    if (argv[0] === 'arping') return ok();
    if (argv[0] === 'ip' && argv.at(-1) === '-' && argv.at(-2) === '-batch') {
      const ns = argv[1] === '-n' ? argv[2]! : ROOT;
      for (const line of (opts.input ?? '').split('\n').filter(Boolean)) this.line(ns, line.split(' '), argv);
      return ok();
    }
    throw new Error(`fake kernel: unexpected command ${a}`);
  }

  private delNs(name: string): void {
    const s = this.ns.get(name)!;
    for (const l of s.links.values()) if (l.peer) this.ns.get(l.peer.ns)?.links.delete(l.peer.name);
    this.ns.delete(name);
  }

  private line(nsName: string, t: string[], argv: readonly string[]): void {
    const s = this.get(nsName, argv);
    const j = t.join(' ');
    const dev = (name: string): FakeLink => s.links.get(name) ?? this.fail(argv, `Cannot find device "${name}"`);
    if (t[0] === 'netns' && t[1] === 'add') { this.ns.set(t[2]!, FakeKernel.emptyNs()); return; }
    if (t[0] === 'link' && t[1] === 'add') {
      // link add name A [mtu N] type veth peer name B netns NS
      const m = /^link add name (\S+)(?: mtu (\d+))? type veth peer name (\S+) netns (\S+)$/.exec(j) ?? this.fail(argv, `fake: ${j}`);
      const [, a, mtu, b, peerNs] = m;
      const other = this.get(peerNs!, argv);
      const m0 = Number(mtu ?? 1500);
      s.links.set(a!, { name: a!, up: false, mtu: m0, mac: mac(), peer: { ns: peerNs!, name: b! } });
      other.links.set(b!, { name: b!, up: false, mtu: m0, mac: mac(), peer: { ns: nsName, name: a! } });
      return;
    }
    if (t[0] === 'link' && t[1] === 'set') {
      const l = dev(t[3]!);
      for (let i = 4; i < t.length; i++) {
        if (t[i] === 'up') l.up = true;
        else if (t[i] === 'down') l.up = false;
        else if (t[i] === 'mtu') l.mtu = Number(t[++i]);
        else if (t[i] === 'address') l.mac = t[++i]!;
        else this.fail(argv, `fake: ${j}`);
      }
      return;
    }
    if (t[0] === 'link' && t[1] === 'del') {
      const l = dev(t[3]!);
      s.links.delete(l.name);
      this.dropDev(s, l.name);
      if (l.peer) { const o = this.ns.get(l.peer.ns); o?.links.delete(l.peer.name); if (o) this.dropDev(o, l.peer.name); }
      return;
    }
    if (t[0] === 'addr') {
      const [, op, cidr, , d] = t;
      dev(d!);
      if (op === 'add') { if (!s.addrs.some((x) => x.dev === d && x.cidr === cidr)) s.addrs.push({ dev: d!, cidr: cidr! }); return; }
      s.addrs = s.addrs.filter((x) => !(x.dev === d && x.cidr === cidr));
      return;
    }
    if (t[0] === 'route') {
      const op = t[1], dst = t[2]!;
      const kv = new Map<string, string>();
      for (let i = 3; i < t.length; i += 2) kv.set(t[i]!, t[i + 1]!);
      if (op === 'del') { s.routes = s.routes.filter((r) => !(r.dst === dst && (!kv.has('proto') || r.proto === kv.get('proto')))); return; }
      const d = kv.get('dev');
      if (d) dev(d);
      s.routes = s.routes.filter((r) => r.dst !== dst);
      s.routes.push({ dst, ...(kv.has('via') ? { via: kv.get('via')! } : {}), ...(d ? { dev: d } : {}), proto: kv.get('proto') ?? 'boot' });
      return;
    }
    this.fail(argv, `fake: ${j}`);
  }

  /** The kernel drops addresses and routes of a deleted device. */
  private dropDev(s: FakeNs, name: string): void {
    s.addrs = s.addrs.filter((x) => x.dev !== name);
    s.routes = s.routes.filter((r) => r.dev !== name);
  }
}
