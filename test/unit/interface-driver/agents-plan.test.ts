/**
 * The DHCP and L3 kernel planners with the OVS driver: the same namespace plan as with
 * linuxbridge, plus the br-int plugging of each port; ports of a replaced DHCP port or
 * a removed router interface are unplugged from br-int; with linuxbridge the plans are
 * exactly what they were (planDhcpNetns / planRouterNetns without a driver).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dhcpDevices, planDhcpKernel, planDhcpNetns, type ActualDhcpNetns, type DesiredDhcpNetns } from '../../../agents/dhcp/kernel.js';
import { planRouterNetns, type ActualRouterNetns } from '../../../agents/l3/kernel.js';
import { parseRouter, routerDevices } from '../../../agents/l3/model.js';
import { LINUXBRIDGE_DRIVER } from '../../../shared/drivers/interface-driver/index.js';
import type { ActualLink } from '../../../shared/drivers/ip-links.js';
import type { Op, OvsVsctlOp } from '../../../shared/reconcile/ops.js';
import { routerJson } from '../l3/fixtures.js';
import { HOST, MAC, NET, PORT_ID, bridge, link, ovsDriver, row } from './fixtures.js';

const ovsCmds = (ops: Op[]) => ops.filter((o): o is OvsVsctlOp => o.kind === 'ovs.vsctl').map((o) => o.commands.map((c) => `${c.cmd}:${'port' in c ? c.port : 'record' in c ? c.record : ''}`).join(','));
const EMPTY_NS: ActualDhcpNetns = { exists: false, links: new Map(), addresses: [], defaultVia: undefined };

describe('DHCP namespace with the OVS driver', () => {
  const d: DesiredDhcpNetns = { networkId: NET, portId: PORT_ID, mac: MAC, mtu: 1450, cidrs: ['10.1.0.2/24'], gateway: '10.1.0.1', metadata: true };
  const { tap, ns } = dhcpDevices(PORT_ID);
  const ids = (key: string, portId = PORT_ID) => ({ 'iface-id': portId, 'iface-status': 'active', 'attached-mac': MAC, 'nucleon-owner': 'dhcp', 'nucleon-host': HOST, 'nucleon-resource': key });

  test('fresh network: the linuxbridge plan plus disable_ipv6 on the tap and its br-int port; offload off', () => {
    const lb = planDhcpNetns(d, EMPTY_NS, new Map());
    const plan = planDhcpKernel(d, EMPTY_NS, new Map(), ovsDriver(), bridge([]));
    assert.deepEqual(plan.ops.filter((o) => o.kind !== 'ovs.vsctl' && !(o.kind === 'sysctl.set' && o.netns === undefined)), lb);
    assert.deepEqual(ovsCmds(plan.ops), [`add-port:${tap},set:${tap}`]);
    assert.deepEqual(plan.commands.map((c) => [c.netns, ...c.argv]), [[`qdhcp-${NET}`, 'ethtool', '-K', ns, 'rx', 'off', 'tx', 'off']]);
  });

  test('linuxbridge through planDhcpKernel = planDhcpNetns, no detach, no commands', () => {
    const plan = planDhcpKernel(d, EMPTY_NS, new Map(), LINUXBRIDGE_DRIVER, undefined);
    assert.deepEqual(plan, { detach: [], ops: planDhcpNetns(d, EMPTY_NS, new Map()), commands: [] });
  });

  test('steady state -> nothing at all', () => {
    const a: ActualDhcpNetns = {
      exists: true,
      links: new Map<string, ActualLink>([['lo', link('lo', { kind: undefined })], [ns, link(ns)]]),
      addresses: [{ dev: ns, cidr: '10.1.0.2/24', family: 4, scope: 'global' }, { dev: ns, cidr: '169.254.169.254/32', family: 4, scope: 'global' }],
      defaultVia: '10.1.0.1',
      offload: new Map([[ns, { rx: false, tx: false }]]),
    };
    const plan = planDhcpKernel(d, a, new Map([[tap, link(tap)]]), ovsDriver(), bridge([row(tap, ids(`network:${NET}`))]));
    assert.deepEqual(plan, { detach: [], ops: [], commands: [] });
  });

  test('DHCP port replaced: old ns- device deleted in the namespace, its tap unplugged from br-int, the new one plugged', () => {
    const oldPort = 'beef0000-1234-4abc-8def-0123456789ab';
    const old = dhcpDevices(oldPort);
    const a: ActualDhcpNetns = { exists: true, links: new Map([['lo', link('lo')], [old.ns, link(old.ns)]]), addresses: [], defaultVia: '10.1.0.1' };
    const state = bridge([row(old.tap, ids(`network:${NET}`, oldPort)), row('tapforeign0000', { 'iface-id': 'x' })]);
    const plan = planDhcpKernel(d, a, new Map([[old.tap, link(old.tap)]]), ovsDriver(), state);
    assert.ok(plan.ops.some((o) => o.kind === 'link.del' && o.netns === `qdhcp-${NET}` && o.name === old.ns));
    assert.deepEqual(ovsCmds(plan.ops), [`add-port:${tap},set:${tap}`, `del-port:${old.tap}`]);
  });
});

describe('router namespace with the OVS driver', () => {
  const r = parseRouter(routerJson(1));
  const key = `router:${r.id}`;
  const idsFor = (portId: string, mac: string) => ({ 'iface-id': portId, 'iface-status': 'active', 'attached-mac': mac, 'nucleon-owner': 'l3', 'nucleon-host': HOST, 'nucleon-resource': key });
  const empty: ActualRouterNetns = { exists: false, links: new Map(), addresses: [], ownRoutes: [], forwarding: false };

  test('fresh router: every qr-/qg- tap plugged into br-int in its own add-port; the rest equals linuxbridge', () => {
    const lb = planRouterNetns(r, empty, new Map());
    const plan = planRouterNetns(r, empty, new Map(), ovsDriver({ agent: 'l3' }), bridge([]));
    const taps = [...r.interfaces.map((p) => routerDevices('qr', p.id).tap), routerDevices('qg', r.gateway!.id).tap];
    assert.deepEqual(ovsCmds(plan.ops), taps.map((t) => `add-port:${t},set:${t}`));
    assert.deepEqual(plan.ops.filter((o) => o.kind !== 'ovs.vsctl' && !(o.kind === 'sysctl.set' && o.netns === undefined)), lb.ops);
    assert.equal(plan.commands.length, taps.length);
    assert.deepEqual(lb.detach, []);
    assert.deepEqual(lb.commands, []);
  });

  test('a removed router interface: its tap leaves br-int (the qr- end is deleted in the namespace)', () => {
    const gone = 'dddddddd-0000-4000-8000-000000000099';
    const goneDev = routerDevices('qr', gone);
    const state = bridge([row(goneDev.tap, idsFor(gone, 'fa:16:3e:00:00:99')), ...r.interfaces.map((p) => row(routerDevices('qr', p.id).tap, idsFor(p.id, p.mac))), row(routerDevices('qg', r.gateway!.id).tap, idsFor(r.gateway!.id, r.gateway!.mac))]);
    const links = new Map<string, ActualLink>([['lo', link('lo')], [goneDev.ns, link(goneDev.ns)]]);
    const plan = planRouterNetns(r, { ...empty, exists: true, links, forwarding: true }, new Map(), ovsDriver({ agent: 'l3', datapathType: 'system' }), { ...state, datapathType: 'system' });
    assert.ok(plan.ops.some((o) => o.kind === 'link.del' && o.name === goneDev.ns));
    assert.ok(ovsCmds(plan.ops).includes(`del-port:${goneDev.tap}`));
  });
});
