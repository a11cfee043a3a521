import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidNameError } from '../../../shared/exec/names.js';
import { nftReplaceTable } from '../../../shared/reconcile/ops.js';
import {
  renderAddr,
  renderFdb,
  renderIptablesRestore,
  renderLinkAdd,
  renderLinkMove,
  renderLinkSetAttrs,
  renderNeigh,
  renderOvsVsctl,
  renderRoute,
  renderSysctl,
} from '../../../shared/reconcile/render.js';

const line = (t: string[] | undefined): string => (t ?? []).join(' ');
const key = 'network:n1';

test('link add: bridge, veth with peer netns, vxlan with all options, vlan', () => {
  assert.equal(line(renderLinkAdd({ kind: 'link.add', key, name: 'brq1', link: { type: 'bridge', stp: false, forwardDelay: 0 } })), 'link add name brq1 type bridge stp_state 0 forward_delay 0');
  assert.equal(
    line(renderLinkAdd({ kind: 'link.add', key, name: 'tap1', mtu: 1450, address: 'fa:16:3e:00:00:01', link: { type: 'veth', peer: 'ns-1', peerNetns: 'qdhcp-1' } })),
    'link add name tap1 mtu 1450 address fa:16:3e:00:00:01 type veth peer name ns-1 netns qdhcp-1',
  );
  assert.equal(
    line(renderLinkAdd({ kind: 'link.add', key, name: 'vxlan-42', link: { type: 'vxlan', vni: 42, local: '192.0.2.1', dev: 'eth1', dstport: 4789, ttl: 32, tos: 'inherit', proxy: true, nolearning: true } })),
    'link add name vxlan-42 type vxlan id 42 local 192.0.2.1 dev eth1 dstport 4789 ttl 32 tos inherit proxy nolearning',
  );
  assert.equal(line(renderLinkAdd({ kind: 'link.add', key, name: 'eth1.100', link: { type: 'vlan', parent: 'eth1', vlanId: 100 } })), 'link add link eth1 name eth1.100 type vlan id 100');
  assert.throws(() => renderLinkAdd({ kind: 'link.add', key, name: 'vx', link: { type: 'vxlan', vni: 1, dstport: 4789, group: '239.1.1.1', remote: '192.0.2.2' } }), InvalidNameError);
  assert.throws(() => renderLinkAdd({ kind: 'link.add', key, name: 'x', link: { type: 'vxlan', vni: 1 << 24, dstport: 4789 } }), InvalidNameError);
});

test('link set: move and attributes render separately; empty attrs render nothing', () => {
  const op = { kind: 'link.set' as const, key, name: 'qr-1', moveTo: 'qrouter-1', up: true, mtu: 1450, master: 'br0' };
  assert.equal(line(renderLinkMove(op)), 'link set dev qr-1 netns qrouter-1');
  assert.equal(line(renderLinkSetAttrs(op)), 'link set dev qr-1 mtu 1450 master br0 up');
  assert.equal(renderLinkSetAttrs({ kind: 'link.set', key, name: 'x', moveTo: 'y' }), undefined);
  assert.equal(line(renderLinkSetAttrs({ kind: 'link.set', key, name: 'x', nomaster: true, up: false })), 'link set dev x nomaster down');
});

test('addr, route, neigh, fdb lines', () => {
  assert.equal(line(renderAddr({ kind: 'addr.add', key, dev: 'qr-1', cidr: '10.0.0.1/24' })), 'addr add 10.0.0.1/24 dev qr-1');
  assert.equal(
    line(renderRoute({ kind: 'route.replace', key, dst: '10.1.0.0/16', via: '10.0.0.254', dev: 'qr-1', table: 100, proto: 77, metric: 10 })),
    'route replace 10.1.0.0/16 via 10.0.0.254 dev qr-1 table 100 proto 77 metric 10',
  );
  assert.equal(line(renderRoute({ kind: 'route.replace', key, dst: 'default', via: '2001:db8::1' })), 'route replace ::/0 via 2001:db8::1');
  assert.equal(line(renderRoute({ kind: 'route.del', key, dst: 'default', via: '10.0.0.1', table: 'main' })), 'route del default via 10.0.0.1 table main');
  assert.equal(line(renderNeigh({ kind: 'neigh.replace', key, ip: '10.0.0.5', lladdr: 'fa:16:3e:00:00:05', dev: 'vxlan-42' })), 'neigh replace 10.0.0.5 lladdr fa:16:3e:00:00:05 dev vxlan-42 nud permanent');
  // neigh del is a flush: silent when missing, and a failing "neigh del" would exit(2) the batch.
  assert.equal(line(renderNeigh({ kind: 'neigh.del', key, ip: '10.0.0.5', dev: 'vxlan-42' })), 'neigh flush to 10.0.0.5 dev vxlan-42 nud all');
  assert.equal(line(renderFdb({ kind: 'fdb.append', key, mac: '00:00:00:00:00:00', dev: 'vxlan-42', dst: '192.0.2.2' })), 'fdb append 00:00:00:00:00:00 dev vxlan-42 dst 192.0.2.2');
  assert.throws(() => renderRoute({ kind: 'route.replace', key, dst: '10.0.0.0/8', dev: 'eth0 table 5' }), InvalidNameError);
});

test('sysctl, iptables-restore, ovs-vsctl, nft idiom', () => {
  assert.deepEqual(renderSysctl([{ kind: 'sysctl.set', key, name: 'net.ipv4.ip_forward', value: '1' }, { kind: 'sysctl.set', key, name: 'net.ipv6.conf.all.forwarding', value: '1' }]), [
    'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1',
  ]);
  const r = renderIptablesRestore([{ kind: 'iptables.restore', key, family: 6, rules: '*nat\nCOMMIT' }]);
  assert.deepEqual(r.argv, ['ip6tables-restore', '--wait=10']);
  assert.equal(r.input, '*nat\nCOMMIT\n');
  assert.deepEqual(
    renderOvsVsctl(
      [
        { cmd: 'add-br', bridge: 'br-int', mayExist: true, datapathType: 'netdev' },
        { cmd: 'add-port', bridge: 'br-int', port: 'tap1', mayExist: true, tag: 10, iface: { 'external_ids:iface-id': 'p1', type: 'internal' } },
        { cmd: 'del-port', port: 'tap2', ifExists: true },
      ],
      ['--timeout=10'],
    ),
    ['ovs-vsctl', '--timeout=10', '--', '--may-exist', 'add-br', 'br-int', '--', 'set', 'Bridge', 'br-int', 'datapath_type=netdev',
      '--', '--may-exist', 'add-port', 'br-int', 'tap1', 'tag=10', '--', 'set', 'Interface', 'tap1', 'external_ids:iface-id="p1"', 'type="internal"',
      '--', '--if-exists', 'del-port', 'tap2'],
  );
  assert.equal(nftReplaceTable('ip', 'nucleon', 'chain c {\n}'), 'table ip nucleon {\n}\ndelete table ip nucleon\ntable ip nucleon {\nchain c {\n}\n}\n');
});
