/**
 * The L3 tests' stateful fake kernel (namespaces, veth pairs, addresses, routes, the
 * executor's batches) plus what the DHCP agent reads and runs on top of it: the
 * one-process namespace read (`ip -n NS -json -batch -`, addr show + route show
 * default) and dhcp_release. Every command advances `clock` by `costMs`, so slice
 * budgets can be tested without real time.
 */
import type { RunOptions, RunResult } from '../../../shared/exec/command-runner.js';
import { CommandError } from '../../../shared/exec/errors.js';
import { NETNS_READ_BATCH } from '../../../agents/dhcp/netns-read.js';
import { FakeKernel } from '../l3/fake-kernel.js';

export class DhcpFakeKernel extends FakeKernel {
  /** Fake monotonic time, advanced by every command. */
  clock = 0;

  constructor(private readonly costMs = 10) {
    super();
  }

  /** Namespace reads made (ip -n NS -json -batch -). */
  reads(): string[] {
    return this.calls.filter((c) => c.argv[1] === '-n' && c.argv.includes('-json')).map((c) => c.argv[2]!);
  }

  override async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    this.clock += this.costMs;
    if (argv[0] === 'ip' && argv[1] === '-n' && argv.slice(3).join(' ') === '-json -batch -' && opts.input === NETNS_READ_BATCH) {
      this.calls.push({ argv: [...argv], input: opts.input });
      const s = this.ns.get(argv[2]!);
      if (!s) throw new CommandError({ argv, exitCode: 1, stdout: '', stderr: `Cannot open network namespace "${argv[2]}": No such file or directory`, timedOut: false });
      const addr = [...s.links.values()].map((l, i) => ({
        ifindex: i + 1, ifname: l.name, flags: l.up ? ['BROADCAST', 'UP'] : ['BROADCAST'], mtu: l.mtu, address: l.mac,
        addr_info: s.addrs.filter((x) => x.dev === l.name).map((x) => ({ family: 'inet', local: x.cidr.split('/')[0], prefixlen: Number(x.cidr.split('/')[1]), scope: 'global' })),
      }));
      const routes = s.routes.filter((r) => r.dst === 'default').map((r) => ({ dst: 'default', ...(r.via ? { gateway: r.via } : {}), ...(r.dev ? { dev: r.dev } : {}) }));
      return { stdout: `${JSON.stringify(addr)}\n${JSON.stringify(routes)}\n`, stderr: '', exitCode: 0, durationMs: 0 };
    }
    if (argv[0] === 'dhcp_release') {
      this.calls.push({ argv: [...argv], ...(opts.netns !== undefined ? { netns: opts.netns } : {}) });
      return { stdout: '', stderr: '', exitCode: 0, durationMs: 0 };
    }
    return super.run(argv, opts);
  }
}
