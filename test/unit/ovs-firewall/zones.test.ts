/** zonesToFlush (which networks' conntrack must go) and the zone flusher's commands. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConntrackZoneFlusher } from '../../../agents/ovs/firewall/conntrack-flush.js';
import { renderOvsFirewall } from '../../../agents/ovs/firewall/render.js';
import { zonesToFlush } from '../../../agents/ovs/firewall/zones.js';
import type { OvsFirewallInput } from '../../../agents/ovs/firewall/types.js';
import type { CommandRunner, RunOptions, RunResult } from '../../../shared/exec/command-runner.js';
import { CommandError } from '../../../shared/exec/errors.js';
import type { SgRule } from '../../../shared/firewall/types.js';
import { MAC1, MAC2, P1, P2, SG, SG2, sgPort, wired } from './fixtures.js';

const ICMP_IN: SgRule = { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' };
const SSH_FROM_SG2: SgRule = { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_group_id: SG2 };

/** P1 (VLAN 7) in SG, P2 (VLAN 8) in SG2. */
function state(sgRules: SgRule[], members: Array<[string, string]> = [], over: (i: OvsFirewallInput) => void = () => undefined): OvsFirewallInput {
  const input: OvsFirewallInput = {
    sg: {
      devices: { [P1]: sgPort(P1, MAC1, '10.0.0.1'), [P2]: sgPort(P2, MAC2, '10.0.1.2', { security_groups: [SG2] }) },
      security_groups: { [SG]: sgRules, [SG2]: [{ direction: 'egress', ethertype: 'IPv4' }] },
      sg_member_ips: { [SG2]: { IPv4: members, IPv6: [] } },
      trusted_devices: [],
    },
    ports: [wired(P1, 3, MAC1, { localVlan: 7 }), wired(P2, 4, MAC2, { localVlan: 8 })],
  };
  over(input);
  return input;
}
const zones = (a: OvsFirewallInput | undefined, b: OvsFirewallInput): number[] => zonesToFlush(a && renderOvsFirewall(a), renderOvsFirewall(b));

test('no previous state, no change, or only additions: nothing to flush', () => {
  assert.deepEqual(zones(undefined, state([ICMP_IN])), []);
  assert.deepEqual(zones(state([ICMP_IN]), state([ICMP_IN])), []);
  assert.deepEqual(zones(state([]), state([ICMP_IN])), []);
  assert.deepEqual(zones(state([SSH_FROM_SG2]), state([SSH_FROM_SG2], [['10.0.1.2', MAC2]])), []);
});

test('a removed rule flushes the zone of each port that had it, not other networks', () => {
  assert.deepEqual(zones(state([ICMP_IN]), state([])), [7]);
});

test('a removed remote-group member flushes the zone of the ports whose rules named it', () => {
  assert.deepEqual(zones(state([SSH_FROM_SG2], [['10.0.1.2', MAC2]]), state([SSH_FROM_SG2], [])), [7]);
});

test('remote-group members (conjunction 1/2 flows, shared by the network): only a member leaving a group a staying port names flushes', () => {
  // P1 (VLAN 7) names SG2; P3 (VLAN 7) names SG3; P2 (VLAN 8) names SG2 too.
  const P3 = 'port-3';
  const MAC3 = 'fa:16:3e:00:00:03';
  const SSH_FROM_SG3: SgRule = { ...SSH_FROM_SG2, remote_group_id: 'sg-3' };
  const input = (sg2: Array<[string, string]>, sg3: Array<[string, string]>, withP3 = true, p2Names = true): OvsFirewallInput =>
    state([SSH_FROM_SG2], sg2, (i) => {
      i.sg.security_groups['sg-3'] = [SSH_FROM_SG3];
      i.sg.sg_member_ips['sg-3'] = { IPv4: sg3, IPv6: [] };
      if (p2Names) i.sg.security_groups[SG2] = [{ direction: 'egress', ethertype: 'IPv4' }, SSH_FROM_SG2];
      if (withP3) {
        i.sg.devices[P3] = sgPort(P3, MAC3, '10.0.0.3', { security_groups: ['sg-3'] });
        i.ports.push(wired(P3, 5, MAC3, { localVlan: 7 }));
      }
    });
  const m = (ip: string): [string, string] => [ip, MAC2];
  // A member of SG2 leaves: P1 (VLAN 7) and P2 (VLAN 8) named SG2.
  assert.deepEqual(zones(input([m('10.0.9.1'), m('10.0.9.2')], [m('10.0.9.3')]), input([m('10.0.9.1')], [m('10.0.9.3')])), [7, 8]);
  // A member of SG3 leaves: only P3's network.
  assert.deepEqual(zones(input([m('10.0.9.1')], [m('10.0.9.3')]), input([m('10.0.9.1')], [])), [7]);
  // SG3's member leaves while P2 stops naming SG2 ... only the SG3 loss counts on VLAN 7, and P2's lost rule flushes 8.
  assert.deepEqual(zones(input([m('10.0.9.1')], [m('10.0.9.3')]), input([m('10.0.9.1')], [], true, false)), [7, 8]);
  // P3 leaves the node: its group's member flows go with it, P1 lost nothing: no flush.
  assert.deepEqual(zones(input([m('10.0.9.1')], [m('10.0.9.3')]), input([m('10.0.9.1')], [m('10.0.9.3')], false)), []);
  // A member moves from SG3 to SG2: SG3's ports lose it.
  assert.deepEqual(zones(input([], [m('10.0.9.3')], true, false), input([m('10.0.9.3')], [], true, false)), [7]);
  // Members only added: nothing.
  assert.deepEqual(zones(input([], []), input([m('10.0.9.1')], [m('10.0.9.3')])), []);
});

test('a removed allowed address pair, or port security turned on, flushes; a removed port or a moved port does not', () => {
  const withPair = (i: OvsFirewallInput): void => {
    (i.sg.devices[P2] as { allowed_address_pairs: unknown[] }).allowed_address_pairs = [{ ip_address: '10.0.9.9', mac_address: MAC2 }];
  };
  assert.deepEqual(zones(state([], [], withPair), state([])), [8]);
  const pseOff = (i: OvsFirewallInput): void => {
    (i.sg.devices[P1] as { port_security_enabled: boolean }).port_security_enabled = false;
  };
  assert.deepEqual(zones(state([], [], pseOff), state([])), [7]);
  assert.deepEqual(zones(state([ICMP_IN]), state([ICMP_IN], [], (i) => { i.ports = i.ports.filter((p) => p.portId !== P1); })), []);
  assert.deepEqual(zones(state([ICMP_IN]), state([], [], (i) => { (i.ports[0] as { localVlan: number }).localVlan = 9; })), []);
});

class RecordingRunner implements CommandRunner {
  readonly calls: Array<{ argv: readonly string[]; opts: RunOptions | undefined }> = [];
  constructor(private readonly fail: (argv: readonly string[]) => CommandError | undefined = () => undefined) {}
  async run(argv: readonly string[], opts?: RunOptions): Promise<RunResult> {
    this.calls.push({ argv, opts });
    const e = this.fail(argv);
    if (e) throw e;
    return { stdout: '', stderr: '', exitCode: 0, durationMs: 1 };
  }
}

test('flusher, netdev datapath: ovs-appctl dpctl/flush-conntrack zone=N, with target, datapath, netns and env', async () => {
  const runner = new RecordingRunner();
  const f = new ConntrackZoneFlusher({ runner, datapathType: 'netdev', appctlTarget: '/run/ovs/ovs-vswitchd.1.ctl', datapath: 'netdev@ovs-netdev', netns: 'ns-hv', env: { OVS_RUNDIR: '/run/ovs' } });
  await f.flushZone(7);
  assert.deepEqual(runner.calls, [{ argv: ['ovs-appctl', '-t', '/run/ovs/ovs-vswitchd.1.ctl', 'dpctl/flush-conntrack', 'netdev@ovs-netdev', 'zone=7'], opts: { netns: 'ns-hv', env: { OVS_RUNDIR: '/run/ovs' } } }]);
  assert.deepEqual(new ConntrackZoneFlusher({ runner, datapathType: 'netdev' }).argv(0), ['ovs-appctl', 'dpctl/flush-conntrack', 'zone=0']);
  assert.throws(() => f.argv(70000), /conntrack zone/);
  assert.throws(() => new ConntrackZoneFlusher({ runner, datapathType: 'netdev', appctlTarget: 'a b' }), /bad appctl target/);
});

test('flusher, system datapath: conntrack -D -w N; an empty zone (exit 1, "0 flow entries") is a success', async () => {
  const empty = new CommandError({ argv: [], exitCode: 1, stdout: '', stderr: 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n', timedOut: false });
  const runner = new RecordingRunner(() => empty);
  const f = new ConntrackZoneFlusher({ runner, datapathType: 'system' });
  await f.flushZone(12);
  assert.deepEqual(runner.calls[0]?.argv, ['conntrack', '-D', '-w', '12']);
});

test('flusher: a failing zone is reported with the command error and the others are still flushed', async () => {
  const boom = new CommandError({ argv: ['ovs-appctl', 'dpctl/flush-conntrack', 'zone=8'], exitCode: 2, stdout: '', stderr: 'ovs-appctl: cannot connect', timedOut: false });
  const runner = new RecordingRunner((argv) => (argv.includes('zone=8') ? boom : undefined));
  const r = await new ConntrackZoneFlusher({ runner, datapathType: 'netdev' }).flushZones([7, 8, 9]);
  assert.deepEqual(r.flushed, [7, 9]);
  assert.equal(r.failed.length, 1);
  assert.equal(r.failed[0]?.zone, 8);
  assert.ok(r.failed[0]?.error instanceof CommandError);
  assert.match(r.failed[0]?.error.message ?? '', /cannot connect/);
});
