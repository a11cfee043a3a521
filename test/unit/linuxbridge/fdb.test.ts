import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyFdbChange, desiredFdbFor, FLOODING_MAC, type FdbChange, type FdbTable } from '../../../agents/linuxbridge/fdb.js';
import { planFdbOps, type ActualFdb } from '../../../agents/linuxbridge/plan.js';
import type { Op } from '../../../shared/reconcile/ops.js';
import { NET_VX, NET_VX2, orders } from './fixtures.js';

const LOCAL = '172.31.255.1';
const A = '172.31.255.2';
const B = '172.31.255.3';
const FLOOD: [string, string] = [FLOODING_MAC, '0.0.0.0'];
const M1: [string, string] = ['fa:16:3e:00:00:01', '10.90.0.11'];
const M1v6: [string, string] = ['fa:16:3e:00:00:01', 'fd00:90::11'];
const M2: [string, string] = ['fa:16:3e:00:00:02', '10.90.0.12'];
const M3: [string, string] = ['FA:16:3E:00:00:03', '10.90.0.13'];

/** The l2pop wire shape: {net_id: {segment_id, network_type, ports: {agent_ip: [[mac, ip], ...]}}}. */
function msg(op: 'add' | 'remove', net: string, ports: Record<string, Array<[string, string]>>): FdbChange {
  return { op, entries: { [net]: { segment_id: 1588, network_type: 'vxlan', ports } } };
}
function chg(net: string, agent: string, before: Array<[string, string]>, after: Array<[string, string]>): FdbChange {
  return { op: 'update', entries: { chg_ip: { [net]: { [agent]: { before, after } } } } };
}
function run(changes: FdbChange[], localIp: string | undefined = LOCAL): FdbTable {
  const t: FdbTable = new Map();
  for (const c of changes) applyFdbChange(t, c, localIp);
  return t;
}
/** Table as sorted plain data, for deepEqual independent of insertion order. */
function dump(t: FdbTable): Array<[string, Array<[string, string[]]>]> {
  return [...t].map(([n, agents]) => [n, [...agents].map(([ip, s]) => [ip, [...s].sort()] as [string, string[]]).sort()] as [string, Array<[string, string[]]>]).sort();
}
const sortFdb = (x: { fdb: Array<{ mac: string; dst: string }>; neigh: Array<{ ip: string; mac: string }> }) => ({
  fdb: [...x.fdb].sort((a, b) => `${a.mac}${a.dst}`.localeCompare(`${b.mac}${b.dst}`)),
  neigh: [...x.neigh].sort((a, b) => a.ip.localeCompare(b.ip)),
});

test('add: flooding entry and unicast entries per remote VTEP; own local_ip ignored; MACs lower-cased', () => {
  const t = run([msg('add', NET_VX, { [A]: [FLOOD, M1], [LOCAL]: [FLOOD, M2], [B]: [FLOOD, M3] })]);
  assert.deepEqual(dump(t), [[NET_VX, [[A, [`${FLOODING_MAC}|0.0.0.0`, 'fa:16:3e:00:00:01|10.90.0.11']], [B, [`${FLOODING_MAC}|0.0.0.0`, 'fa:16:3e:00:00:03|10.90.0.13']]]]]);
  assert.deepEqual(sortFdb(desiredFdbFor(t, NET_VX, false)), sortFdb({
    fdb: [{ mac: FLOODING_MAC, dst: A }, { mac: M1[0], dst: A }, { mac: FLOODING_MAC, dst: B }, { mac: 'fa:16:3e:00:00:03', dst: B }],
    neigh: [],
  }));
  // arp_responder: a neighbour entry per unicast (mac, ip), none for the flooding entry.
  assert.deepEqual(sortFdb(desiredFdbFor(t, NET_VX, true)).neigh, [{ ip: '10.90.0.11', mac: M1[0] }, { ip: '10.90.0.13', mac: 'fa:16:3e:00:00:03' }]);
  assert.deepEqual(desiredFdbFor(t, NET_VX2, true), { fdb: [], neigh: [] });
});

test('touched networks are returned; messages only about our own VTEP leave the table empty', () => {
  const t: FdbTable = new Map();
  assert.deepEqual(applyFdbChange(t, msg('add', NET_VX, { [LOCAL]: [FLOOD, M1] }), LOCAL), [NET_VX]);
  assert.equal(t.size, 0);
  assert.deepEqual(applyFdbChange(t, { op: 'add', entries: { [NET_VX]: { ports: { [A]: [M1] } }, [NET_VX2]: { ports: { [B]: [M2] } } } }, LOCAL).sort(), [NET_VX, NET_VX2].sort());
});

test('a port with two fixed IPs (v4 + v6): one fdb entry for its MAC, neighbour entry for the IPv4 address', () => {
  const t = run([msg('add', NET_VX, { [A]: [FLOOD, M1, M1v6] })]);
  const want = desiredFdbFor(t, NET_VX, true);
  assert.deepEqual(sortFdb(want).fdb, [{ mac: FLOODING_MAC, dst: A }, { mac: M1[0], dst: A }]);
  assert.deepEqual(want.neigh, [{ ip: '10.90.0.11', mac: M1[0] }]);
  // Removing the v4 address only keeps the MAC pinned to the VTEP.
  applyFdbChange(t, msg('remove', NET_VX, { [A]: [M1] }), LOCAL);
  assert.deepEqual(sortFdb(desiredFdbFor(t, NET_VX, true)), { fdb: [{ mac: FLOODING_MAC, dst: A }, { mac: M1[0], dst: A }], neigh: [] });
});

test('remove: entries go; the last one of a VTEP removes the VTEP and the network', () => {
  const t = run([msg('add', NET_VX, { [A]: [FLOOD, M1], [B]: [FLOOD, M2] }), msg('remove', NET_VX, { [A]: [M1] })]);
  assert.deepEqual(dump(t), [[NET_VX, [[A, [`${FLOODING_MAC}|0.0.0.0`]], [B, [`${FLOODING_MAC}|0.0.0.0`, 'fa:16:3e:00:00:02|10.90.0.12']]]]]);
  applyFdbChange(t, msg('remove', NET_VX, { [A]: [FLOOD] }), LOCAL);
  assert.deepEqual(dump(t), [[NET_VX, [[B, [`${FLOODING_MAC}|0.0.0.0`, 'fa:16:3e:00:00:02|10.90.0.12']]]]]);
  applyFdbChange(t, msg('remove', NET_VX, { [B]: [FLOOD, M2] }), LOCAL);
  assert.equal(t.size, 0);
  // Removing what was never there is harmless.
  applyFdbChange(t, msg('remove', NET_VX2, { [A]: [M3] }), LOCAL);
  assert.equal(t.size, 0);
});

test('update (chg_ip): the IP of a MAC changes, the fdb entry stays, the neighbour entry follows', () => {
  const t = run([msg('add', NET_VX, { [A]: [FLOOD, M1] }), chg(NET_VX, A, [M1], [[M1[0], '10.90.0.99']])]);
  assert.deepEqual(sortFdb(desiredFdbFor(t, NET_VX, true)), { fdb: [{ mac: FLOODING_MAC, dst: A }, { mac: M1[0], dst: A }], neigh: [{ ip: '10.90.0.99', mac: M1[0] }] });
  // Our own VTEP in chg_ip is ignored.
  const before = dump(t);
  assert.deepEqual(applyFdbChange(t, chg(NET_VX, LOCAL, [], [M2]), LOCAL), []);
  assert.deepEqual(dump(t), before);
});

test('adds for disjoint entries commute: any order, the same table and desired fdb', () => {
  const changes = [
    msg('add', NET_VX, { [A]: [FLOOD, M1] }),
    msg('add', NET_VX, { [B]: [FLOOD] }),
    msg('add', NET_VX, { [B]: [M2] }),
    msg('add', NET_VX2, { [A]: [FLOOD, M3] }),
    msg('add', NET_VX, { [LOCAL]: [FLOOD, ['fa:16:3e:00:00:77', '10.90.0.77']] }),
    msg('add', NET_VX, { [A]: [M1] }), // duplicate add: idempotent
  ];
  const all = orders(changes).map((o) => { const t = run(o); return { t: dump(t), d1: sortFdb(desiredFdbFor(t, NET_VX, true)), d2: sortFdb(desiredFdbFor(t, NET_VX2, true)) }; });
  for (const r of all.slice(1)) assert.deepEqual(r, all[0]);
});

test('add and remove of the same entry do not commute (semantics): the last message wins', () => {
  assert.equal(run([msg('add', NET_VX, { [A]: [M1] }), msg('remove', NET_VX, { [A]: [M1] })]).size, 0);
  assert.deepEqual(dump(run([msg('remove', NET_VX, { [A]: [M1] }), msg('add', NET_VX, { [A]: [M1] })])), [[NET_VX, [[A, ['fa:16:3e:00:00:01|10.90.0.11']]]]]);
  // Removes of disjoint entries after the adds commute among themselves.
  const adds = [msg('add', NET_VX, { [A]: [FLOOD, M1], [B]: [FLOOD, M2] })];
  const removes = [msg('remove', NET_VX, { [A]: [M1] }), msg('remove', NET_VX, { [B]: [FLOOD] }), msg('remove', NET_VX, { [A]: [FLOOD] })];
  const all = orders(removes).map((o) => dump(run([...adds, ...o])));
  for (const r of all.slice(1)) assert.deepEqual(r, all[0]);
  assert.deepEqual(all[0], [[NET_VX, [[B, ['fa:16:3e:00:00:02|10.90.0.12']]]]]);
});

test('malformed messages change nothing and do not throw', () => {
  const t = run([msg('add', NET_VX, { [A]: [FLOOD] })]);
  const before = dump(t);
  const junk: FdbChange[] = [
    { op: 'add', entries: { [NET_VX]: null } },
    { op: 'add', entries: { [NET_VX]: 'x' } },
    { op: 'add', entries: { [NET_VX]: { ports: null } } },
    { op: 'add', entries: { [NET_VX]: { ports: { [B]: 'not a list' } } } },
    { op: 'add', entries: { [NET_VX]: { ports: { [B]: [['not-a-mac', '10.0.0.1'], [1, 2], 'x', [M1[0]]] } } } },
    { op: 'add', entries: { [NET_VX]: { ports: { 'not-an-ip': [M1] } } } },
    { op: 'remove', entries: { [NET_VX]: { ports: { [A]: 'x' } } } },
    { op: 'update', entries: {} },
    { op: 'update', entries: { chg_ip: 'x' } },
    { op: 'update', entries: { chg_ip: { [NET_VX]: null } } },
    { op: 'update', entries: { chg_ip: { [NET_VX]: { [A]: 'x' } } } },
    { op: 'update', entries: { chg_ip: { [NET_VX]: { [A]: { before: 'x', after: [['bad', 'x']] } } } } },
  ];
  for (const j of junk) assert.doesNotThrow(() => applyFdbChange(t, j, LOCAL), JSON.stringify(j));
  assert.deepEqual(dump(t), before);
});

// ---- planFdbOps: desired (from the table) vs what `bridge fdb` / `ip neigh` show ------

const KEY = `fdb:${NET_VX}`;
const DEV = 'vxlan-1588';

test('planFdbOps: from empty, appends every entry permanent in the device table and replaces neighbours', () => {
  const t = run([msg('add', NET_VX, { [A]: [FLOOD, M1], [B]: [FLOOD] })]);
  const ops = planFdbOps(KEY, DEV, desiredFdbFor(t, NET_VX, true), [], []);
  const sorted = [...ops].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  assert.deepEqual(sorted, [
    { kind: 'fdb.append', key: KEY, mac: FLOODING_MAC, dev: DEV, dst: A, self: true, permanent: true },
    { kind: 'fdb.append', key: KEY, mac: FLOODING_MAC, dev: DEV, dst: B, self: true, permanent: true },
    { kind: 'fdb.append', key: KEY, mac: M1[0], dev: DEV, dst: A, self: true, permanent: true },
    { kind: 'neigh.replace', key: KEY, ip: '10.90.0.11', dev: DEV, lladdr: M1[0], nud: 'permanent' },
  ].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))));
});

/** What the kernel shows after the ops (stateful fake of one vxlan device's fdb + neighbours). */
function applyToKernel(fdb: ActualFdb[], neigh: Array<{ ip: string; mac?: string; permanent: boolean }>, ops: Op[]) {
  let f = fdb.map((e) => ({ ...e }));
  let n = neigh.map((e) => ({ ...e }));
  for (const op of ops) {
    if (op.kind === 'fdb.append') {
      const cur = f.find((e) => e.mac === op.mac && e.dst === op.dst);
      if (cur) cur.permanent = true; else f.push({ mac: op.mac, dst: op.dst!, permanent: true });
    } else if (op.kind === 'fdb.del') f = f.filter((e) => !(e.mac === op.mac && e.dst === op.dst));
    else if (op.kind === 'neigh.replace') n = [...n.filter((e) => e.ip !== op.ip), { ip: op.ip, mac: op.lladdr!, permanent: true }];
    else if (op.kind === 'neigh.del') n = n.filter((e) => e.ip !== op.ip);
    else assert.fail(op.kind);
  }
  return { f, n };
}

test('planFdbOps: stale permanent entries go, learned entries stay, a learned entry that is wanted is made permanent; converges', () => {
  const t = run([msg('add', NET_VX, { [A]: [FLOOD, M1], [B]: [FLOOD, M2] })]);
  const want = desiredFdbFor(t, NET_VX, true);
  const fdb: ActualFdb[] = [
    { mac: FLOODING_MAC, dst: A, permanent: true },                 // wanted, present
    { mac: FLOODING_MAC, dst: '172.31.255.9', permanent: true },    // stale VTEP: delete
    { mac: M1[0], dst: A, permanent: false },                        // wanted but learned: make permanent
    { mac: 'fa:16:3e:00:00:aa', dst: B, permanent: false },          // learned, not ours: leave
    { mac: 'fa:16:3e:00:00:bb', permanent: true },                   // no dst (the bridge's own): leave
  ];
  const neigh = [
    { ip: '10.90.0.11', mac: M1[0], permanent: true },              // wanted, right
    { ip: '10.90.0.12', mac: 'fa:16:3e:00:00:99', permanent: true }, // wrong MAC: replace
    { ip: '10.90.0.50', mac: 'fa:16:3e:00:00:50', permanent: true }, // stale: delete
    { ip: '10.90.0.60', mac: 'fa:16:3e:00:00:60', permanent: false },// learned: leave
  ];
  const ops = planFdbOps(KEY, DEV, want, fdb, neigh);
  assert.deepEqual(ops, [
    { kind: 'fdb.del', key: KEY, mac: FLOODING_MAC, dev: DEV, dst: '172.31.255.9', self: true },
    { kind: 'fdb.append', key: KEY, mac: M1[0], dev: DEV, dst: A, self: true, permanent: true },
    { kind: 'fdb.append', key: KEY, mac: FLOODING_MAC, dev: DEV, dst: B, self: true, permanent: true },
    { kind: 'fdb.append', key: KEY, mac: M2[0], dev: DEV, dst: B, self: true, permanent: true },
    { kind: 'neigh.del', key: KEY, ip: '10.90.0.50', dev: DEV },
    { kind: 'neigh.replace', key: KEY, ip: '10.90.0.12', dev: DEV, lladdr: M2[0], nud: 'permanent' },
  ]);
  const after = applyToKernel(fdb, neigh, ops);
  assert.deepEqual(planFdbOps(KEY, DEV, want, after.f, after.n), []);
  assert.ok(after.f.some((e) => e.mac === 'fa:16:3e:00:00:aa' && !e.permanent), 'learned entry kept');
});

test('planFdbOps: a sequence of l2pop messages, applied in any commuting order, reaches the same kernel state', () => {
  const history = [
    msg('add', NET_VX, { [A]: [FLOOD, M1] }),
    msg('add', NET_VX, { [B]: [FLOOD, M2] }),
    msg('add', NET_VX, { [A]: [M3] }),
  ];
  const finals = orders(history).map((o) => {
    const t: FdbTable = new Map();
    let f: ActualFdb[] = []; let n: Array<{ ip: string; mac?: string; permanent: boolean }> = [];
    for (const c of o) {
      applyFdbChange(t, c, LOCAL);
      const r = applyToKernel(f, n, planFdbOps(KEY, DEV, desiredFdbFor(t, NET_VX, true), f, n));
      f = r.f; n = r.n;
    }
    return { f: [...f].sort((a, b) => `${a.mac}${a.dst}`.localeCompare(`${b.mac}${b.dst}`)), n: [...n].sort((a, b) => a.ip.localeCompare(b.ip)) };
  });
  for (const r of finals.slice(1)) assert.deepEqual(r, finals[0]);
  assert.equal(finals[0]!.f.length, 5);
  assert.equal(finals[0]!.n.length, 3);
  // Then everything removed: the device ends with no permanent entries.
  const t = run([...history, msg('remove', NET_VX, { [A]: [FLOOD, M1, M3], [B]: [FLOOD, M2] })]);
  const del = planFdbOps(KEY, DEV, desiredFdbFor(t, NET_VX, true), finals[0]!.f, finals[0]!.n);
  assert.deepEqual(del.map((o) => o.kind).sort(), ['fdb.del', 'fdb.del', 'fdb.del', 'fdb.del', 'fdb.del', 'neigh.del', 'neigh.del', 'neigh.del']);
});

test('planFdbOps without arp_responder: no neighbour entries wanted, permanent ones removed', () => {
  const t = run([msg('add', NET_VX, { [A]: [FLOOD, M1] })]);
  const ops = planFdbOps(KEY, DEV, desiredFdbFor(t, NET_VX, false), [{ mac: FLOODING_MAC, dst: A, permanent: true }, { mac: M1[0], dst: A, permanent: true }], [{ ip: '10.90.0.11', mac: M1[0], permanent: true }]);
  assert.deepEqual(ops, [{ kind: 'neigh.del', key: KEY, ip: '10.90.0.11', dev: DEV }]);
});
