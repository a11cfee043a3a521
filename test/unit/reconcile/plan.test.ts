import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Op } from '../../../shared/reconcile/ops.js';
import { planSteps, type Step } from '../../../shared/reconcile/plan.js';

/** Readable dump of a plan: one string per command. */
function dump(ops: Op[], steps: Step[]): string[] {
  const out: string[] = [];
  for (const s of steps) {
    if (s.type === 'batch') for (const b of s.batches) out.push(`${b.tool}@${b.netns ?? 'root'}: ${b.lines.map((l) => l.tokens.join(' ')).join(' | ')}`);
    else if ('groups' in s) for (const g of s.groups) out.push(`${s.type}@${g.netns ?? 'root'}: ${g.opIndexes.map((i) => ops[i]?.kind).join(',')}`);
    else out.push(`${s.type}: ${s.opIndexes.map((i) => ops[i]?.kind).join(',')}`);
  }
  return out;
}

const k = 'network:1';

test('creates: netns → links → set → addr → routes/neigh, one batch per namespace, root netns batch first', () => {
  const ops: Op[] = [
    { kind: 'route.replace', key: k, netns: 'nsa', dst: 'default', via: '10.0.0.254' },
    { kind: 'neigh.replace', key: k, netns: 'nsa', ip: '10.0.0.9', lladdr: 'fa:16:3e:00:00:09', dev: 'va' },
    { kind: 'addr.add', key: k, netns: 'nsa', dev: 'va', cidr: '10.0.0.1/24' },
    { kind: 'link.set', key: k, netns: 'nsa', name: 'va', up: true },
    { kind: 'link.add', key: k, netns: 'nsa', name: 'va', link: { type: 'veth', peer: 'vb' } },
    { kind: 'netns.add', key: k, name: 'nsa' },
  ];
  assert.deepEqual(dump(ops, planSteps(ops).steps), [
    'ip@root: netns add nsa',
    'ip@nsa: link add name va type veth peer name vb | link set dev va up | addr add 10.0.0.1/24 dev va | route replace default via 10.0.0.254 | neigh replace 10.0.0.9 lladdr fa:16:3e:00:00:09 dev va nud permanent',
  ]);
});

test('all kinds in dependency order, deletes first in reverse order', () => {
  const ops: Op[] = [
    { kind: 'process.signal', key: k, pid: 1234, signal: 'SIGHUP' },
    { kind: 'file.write', key: k, path: '/tmp/x', content: 'x' },
    { kind: 'nft.apply', key: k, script: 'table ip t {\n}' },
    { kind: 'iptables.restore', key: k, netns: 'r1', family: 4, rules: '*nat\nCOMMIT' },
    { kind: 'sysctl.set', key: k, netns: 'r1', name: 'net.ipv4.ip_forward', value: '1' },
    { kind: 'ovs.vsctl', key: k, commands: [{ cmd: 'add-port', bridge: 'br-int', port: 'tap1', mayExist: true }] },
    { kind: 'link.add', key: k, name: 'tap1', link: { type: 'veth', peer: 'tap1p' } },
    { kind: 'netns.del', key: 'router:old', name: 'r0' },
    { kind: 'link.del', key: 'port:old', name: 'tapold' },
    { kind: 'addr.del', key: 'port:old', dev: 'x', cidr: '10.9.0.1/24' },
    { kind: 'fdb.del', key: 'port:old', mac: 'fa:16:3e:00:00:02', dev: 'vx' },
    { kind: 'file.remove', key: 'port:old', path: '/tmp/old' },
    { kind: 'process.stop', key: 'port:old', id: 'dnsmasq:old' },
    { kind: 'process.start', key: k, spec: { id: 'dnsmasq:1', argv: ['dnsmasq'] } },
  ];
  assert.deepEqual(dump(ops, planSteps(ops).steps), [
    'process: process.stop',
    'file: file.remove',
    // fdb del (bridge tool) runs before link del in the same namespace.
    'bridge@root: fdb del fa:16:3e:00:00:02 dev vx',
    'ip@root: addr del 10.9.0.1/24 dev x | link del dev tapold | netns del r0 | link add name tap1 type veth peer name tap1p',
    'ovs@root: ovs.vsctl',
    'sysctl@r1: sysctl.set',
    'iptables@r1: iptables.restore',
    'nft: nft.apply',
    'file: file.write',
    'process: process.start',
    'process: process.signal',
  ]);
});

test('links created or moved into another namespace order that namespace after the source', () => {
  const ops: Op[] = [
    { kind: 'addr.add', key: k, netns: 'nsb', dev: 'pb', cidr: '10.0.0.2/24' },
    { kind: 'link.set', key: k, netns: 'nsa', name: 'qa', moveTo: 'nsb', up: true },
    { kind: 'link.add', key: k, name: 'pa', link: { type: 'veth', peer: 'pb', peerNetns: 'nsb' } },
    { kind: 'link.add', key: k, netns: 'nsa', name: 'qa', link: { type: 'bridge' } },
  ];
  assert.deepEqual(dump(ops, planSteps(ops).steps), [
    'ip@root: link add name pa type veth peer name pb netns nsb',
    'ip@nsa: link add name qa type bridge | link set dev qa netns nsb',
    'ip@nsb: link set dev qa up | addr add 10.0.0.2/24 dev pb',
  ]);
});

test('a cross-namespace cycle splits the batch step by phase', () => {
  const ops: Op[] = [
    { kind: 'link.add', key: k, netns: 'nsa', name: 'a1', link: { type: 'veth', peer: 'b1', peerNetns: 'nsb' } },
    { kind: 'link.add', key: k, netns: 'nsb', name: 'b2', link: { type: 'veth', peer: 'a2', peerNetns: 'nsa' } },
    { kind: 'link.set', key: k, netns: 'nsa', name: 'a2', up: true },
    { kind: 'link.set', key: k, netns: 'nsb', name: 'b1', up: true },
  ];
  const steps = planSteps(ops).steps;
  assert.equal(steps.length, 2);
  assert.deepEqual(dump(ops, steps).slice(2), ['ip@nsa: link set dev a2 up', 'ip@nsb: link set dev b1 up']);
});

test('invalid names are reported, not rendered', () => {
  const ops: Op[] = [
    { kind: 'link.add', key: 'port:bad', name: 'bad name', link: { type: 'bridge' } },
    { kind: 'link.add', key: k, name: 'good', link: { type: 'bridge' } },
  ];
  const plan = planSteps(ops);
  assert.deepEqual(plan.invalid.map((x) => x.opIndex), [0]);
  assert.deepEqual(dump(ops, plan.steps), ['ip@root: link add name good type bridge']);
});
