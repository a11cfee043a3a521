/**
 * Flushes the conntrack entries of one zone, after a firewall change removed what
 * allowed them (zones.ts).
 *
 * - netdev (userspace) datapath: the entries live in ovs-vswitchd, so
 *   `ovs-appctl [-t <vswitchd ctl>] dpctl/flush-conntrack [<dp>] zone=N`.
 * - system (kernel) datapath: the kernel's conntrack, `conntrack -D -w N`. It exits 1
 *   with "0 flow entries have been deleted." when the zone is empty: a success.
 */
import type { CommandRunner } from '../../../shared/exec/command-runner.js';
import { CommandError } from '../../../shared/exec/errors.js';
import { assertInt, assertNetnsName } from '../../../shared/exec/names.js';

export type OvsDatapathType = 'netdev' | 'system';

export interface ConntrackZoneFlusherOptions {
  runner: CommandRunner;
  datapathType: OvsDatapathType;
  /** Where ovs-vswitchd (netdev) or the kernel conntrack (system) lives. */
  netns?: string;
  /** netdev: `ovs-appctl -t` target (vswitchd's unixctl socket); default: found through OVS_RUNDIR. */
  appctlTarget?: string;
  /** netdev: datapath name, e.g. `netdev@ovs-netdev`, when vswitchd has more than one. */
  datapath?: string;
  /** Extra environment (OVS_RUNDIR …). */
  env?: Record<string, string>;
  timeoutMs?: number;
}

const SAFE_ARG = /^[A-Za-z0-9@._/:-]{1,200}$/;

export class ConntrackZoneFlusher {
  constructor(private readonly opts: ConntrackZoneFlusherOptions) {
    if (opts.netns !== undefined) assertNetnsName(opts.netns);
    for (const [what, v] of [['appctl target', opts.appctlTarget], ['datapath', opts.datapath]] as const) {
      if (v !== undefined && !SAFE_ARG.test(v)) throw new TypeError(`bad ${what} ${JSON.stringify(v)}`);
    }
  }

  /** The command that flushes `zone` (exported for the log and the tests). */
  argv(zone: number): string[] {
    assertInt('conntrack zone', zone, 0, 0xffff);
    if (this.opts.datapathType === 'system') return ['conntrack', '-D', '-w', String(zone)];
    return [
      'ovs-appctl',
      ...(this.opts.appctlTarget !== undefined ? ['-t', this.opts.appctlTarget] : []),
      'dpctl/flush-conntrack',
      ...(this.opts.datapath !== undefined ? [this.opts.datapath] : []),
      `zone=${zone}`,
    ];
  }

  /** Rejects with the runner's {@link CommandError} (argv, stderr) on failure. */
  async flushZone(zone: number): Promise<void> {
    const argv = this.argv(zone);
    try {
      await this.opts.runner.run(argv, {
        ...(this.opts.netns !== undefined ? { netns: this.opts.netns } : {}),
        ...(this.opts.env !== undefined ? { env: this.opts.env } : {}),
        ...(this.opts.timeoutMs !== undefined ? { timeoutMs: this.opts.timeoutMs } : {}),
      });
    } catch (e) {
      if (this.opts.datapathType === 'system' && e instanceof CommandError && e.exitCode === 1 && /\b0 flow entries have been deleted/.test(e.stderr + e.stdout)) return;
      throw e;
    }
  }

  /** Flushes each zone; one failing zone does not stop the others. */
  async flushZones(zones: readonly number[]): Promise<{ flushed: number[]; failed: Array<{ zone: number; error: Error }> }> {
    const flushed: number[] = [];
    const failed: Array<{ zone: number; error: Error }> = [];
    for (const zone of zones) {
      try {
        await this.flushZone(zone);
        flushed.push(zone);
      } catch (e) {
        failed.push({ zone, error: e instanceof Error ? e : new Error(String(e)) });
      }
    }
    return { flushed, failed };
  }
}
