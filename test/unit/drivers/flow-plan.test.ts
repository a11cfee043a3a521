/**
 * planFlowSync: dump + desired → one bundle's lines. Canonical texts are given as OVS
 * 3.1 prints them with -O OpenFlow14 (recorded), so the tests also show why comparing
 * the renderer's own text with a dump would never converge.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DumpedFlow } from '../../../shared/drivers/ovs/flow-dump.js';
import { FlowSpecError } from '../../../shared/drivers/ovs/flow-errors.js';
import { planFlowSync, type DesiredFlow } from '../../../shared/drivers/ovs/flow-plan.js';

const RUN = 0x6e75000000000002n;
const OLD = 0x6e75000000000001n;
const FOREIGN = 0x1234n;

/** A realistic br-int slice: the renderer's text and what OVS prints for it. */
const DESIRED: DesiredFlow[] = [
  { table: 0, priority: 3, match: 'in_port=1,dl_vlan=0xffff', actions: 'mod_vlan_vid:3,resubmit(,60)', canonical: { match: 'in_port=1,vlan_tci=0x0000/0x1fff', actions: 'push_vlan:0x8100,set_field:4099->vlan_vid,resubmit(,60)' } },
  { table: 0, priority: 0, match: '', actions: 'resubmit(,60)' },
  { table: 60, priority: 100, match: 'in_port=1', actions: 'set_field:0x1->reg5,set_field:0x2->reg6,resubmit(,71)' },
  { table: 22, priority: 1, match: 'dl_vlan=1', actions: 'strip_vlan,set_tunnel:0x64,output:2', canonical: { match: 'dl_vlan=1', actions: 'pop_vlan,set_field:0x64->tun_id,output:2' } },
];

function dumped(d: DesiredFlow, cookie: bigint, extra: Partial<DumpedFlow> = {}): DumpedFlow {
  return { cookie, table: d.table, priority: d.priority, match: d.canonical?.match ?? d.match, actions: d.canonical?.actions ?? d.actions, nPackets: 5, ...extra };
}
const d = (i: number): DesiredFlow => DESIRED[i] as DesiredFlow;
const OVS_DEFAULT: DumpedFlow = { cookie: 0n, table: 0, priority: 0, match: '', actions: 'NORMAL' };

test('initial sync on a fresh bridge: every desired flow is added; OVS default NORMAL flow is replaced by ours at table 0 priority 0', () => {
  const p = planFlowSync([OVS_DEFAULT], DESIRED, RUN);
  assert.deepEqual(p.lines, [
    'add cookie=0x6e75000000000002,table=0,priority=3,in_port=1,dl_vlan=0xffff,actions=mod_vlan_vid:3,resubmit(,60)',
    'add cookie=0x6e75000000000002,table=0,priority=0,actions=resubmit(,60)',
    'add cookie=0x6e75000000000002,table=60,priority=100,in_port=1,actions=set_field:0x1->reg5,set_field:0x2->reg6,resubmit(,71)',
    'add cookie=0x6e75000000000002,table=22,priority=1,dl_vlan=1,actions=strip_vlan,set_tunnel:0x64,output:2',
  ]);
  assert.deepEqual([p.added, p.modified, p.deleted, p.unchanged, p.replacedForeign, p.recookied, p.foreignKept], [4, 0, 0, 0, 1, 0, 0]);
});

test('steady state: the bridge already holds the canonical text under the run cookie → no flow mod', () => {
  const p = planFlowSync(DESIRED.map((x) => dumped(x, RUN)), DESIRED, RUN);
  assert.deepEqual(p.lines, []);
  assert.equal(p.unchanged, 4);
});

test('without canonical text, the renderer text of a rewritten flow would differ from the dump forever', () => {
  const raw = DESIRED.map(({ canonical: _c, ...spec }) => spec);
  const p = planFlowSync(DESIRED.map((x) => dumped(x, RUN)), raw, RUN);
  // The VLAN-match flow is "missing" (its match prints differently), br-tun's actions "differ".
  assert.deepEqual(p.mods.map((m) => `${m.kind}:${m.reason}`), ['add:missing', 'modify:actions-differ', 'delete:stale']);
});

test('restart: flows of the previous run are re-added under the new cookie and the old run\'s leftovers deleted, in one bundle', () => {
  const staleOld: DumpedFlow = { cookie: OLD, table: 71, priority: 95, match: 'in_port=9', actions: 'drop' };
  const p = planFlowSync([...DESIRED.map((x) => dumped(x, OLD)), staleOld], DESIRED, RUN);
  assert.deepEqual(p.mods.map((m) => `${m.kind}:${m.reason}`), ['add:recookie', 'add:recookie', 'add:recookie', 'add:recookie', 'delete:stale']);
  assert.equal(p.recookied, 4);
  assert.equal(p.lines[4], 'delete_strict cookie=0x6e75000000000001/-1,table=71,priority=95,in_port=9');
  // No delete of a desired key: a delete of the old cookie would open a gap.
  assert.ok(!p.lines.some((l) => l.startsWith('delete_strict') && l.includes('table=0,')));
});

test('restart where a flow\'s actions also changed: one add with the new cookie and new actions', () => {
  const p = planFlowSync([dumped(d(2), OLD, { actions: 'resubmit(,72)' })], [d(2)], RUN);
  assert.deepEqual(p.mods.map((m) => m.line), ['add cookie=0x6e75000000000002,table=60,priority=100,in_port=1,actions=set_field:0x1->reg5,set_field:0x2->reg6,resubmit(,71)']);
});

test('a flow modified by hand (cookie kept) gets its actions back with modify_strict restricted to our cookie', () => {
  const p = planFlowSync([dumped(d(2), RUN, { actions: 'drop' }), dumped(d(0), RUN)], [d(0), d(2)], RUN);
  assert.deepEqual(p.lines, ['modify_strict cookie=0x6e75000000000002/-1,table=60,priority=100,in_port=1,actions=set_field:0x1->reg5,set_field:0x2->reg6,resubmit(,71)']);
  assert.deepEqual([p.modified, p.unchanged], [1, 1]);
});

test('a flow deleted by hand is added again', () => {
  const p = planFlowSync([dumped(d(0), RUN), dumped(d(1), RUN), dumped(d(3), RUN)], DESIRED, RUN);
  assert.deepEqual(p.mods.map((m) => `${m.kind}:${m.reason}:${m.table}`), ['add:missing:60']);
});

test('foreign flows are never touched, even overlapping ours; only an exact key collision is replaced', () => {
  const overlapping: DumpedFlow = { cookie: FOREIGN, table: 0, priority: 3, match: 'in_port=1', actions: 'drop' };
  const otherTable: DumpedFlow = { cookie: 0n, table: 200, priority: 1, match: '', actions: 'drop' };
  const colliding: DumpedFlow = { cookie: FOREIGN, table: 60, priority: 100, match: 'in_port=1', actions: 'drop' };
  const p = planFlowSync([overlapping, otherTable, colliding, dumped(d(0), RUN), dumped(d(1), RUN), dumped(d(3), RUN)], DESIRED, RUN);
  assert.deepEqual(p.mods.map((m) => `${m.kind}:${m.reason}:${m.table}`), ['add:replace-foreign:60']);
  assert.equal(p.foreignKept, 2);
  assert.ok(p.lines.every((l) => !l.includes('/-1') || l.includes(RUN.toString(16)) || l.includes(OLD.toString(16))));
});

test('a flow made by learn() with our cookie (it has a timeout) is neither stale nor ours to delete', () => {
  const learned: DumpedFlow = { cookie: RUN, table: 20, priority: 1, match: 'dl_vlan=1,dl_dst=fa:16:3e:00:00:09', actions: 'load:0->NXM_OF_VLAN_TCI[],output:1', hardTimeout: 300 };
  const p = planFlowSync([learned], [], RUN);
  assert.deepEqual(p.lines, []);
  assert.equal(p.foreignKept, 1);
});

test('our flows no longer desired are deleted strictly, each under its own cookie', () => {
  const p = planFlowSync([dumped(d(2), RUN), dumped(d(3), OLD)], [], RUN);
  assert.deepEqual(p.lines, [
    'delete_strict cookie=0x6e75000000000002/-1,table=60,priority=100,in_port=1',
    'delete_strict cookie=0x6e75000000000001/-1,table=22,priority=1,dl_vlan=1',
  ]);
});

test('a custom ownership predicate widens what is ours (e.g. adopting a Python agent\'s cookie)', () => {
  const py: DumpedFlow = { cookie: 0xdeadbeefn, table: 0, priority: 2, match: 'in_port=5', actions: 'drop' };
  const p = planFlowSync([py], [], RUN, (c) => c === 0xdeadbeefn || c === RUN);
  assert.deepEqual(p.lines, ['delete_strict cookie=0xdeadbeef/-1,table=0,priority=2,in_port=5']);
  assert.throws(() => planFlowSync([], [], 0x99n), RangeError, 'a run cookie that is not ours would delete itself next run');
});

test('duplicate desired flows: identical ones merge, conflicting ones are refused', () => {
  assert.equal(planFlowSync([], [d(2), { ...d(2) }], RUN).added, 1);
  assert.throws(() => planFlowSync([], [d(2), { ...d(2), actions: 'drop' }], RUN), (e: unknown) => e instanceof FlowSpecError && e.index === 1);
  // Same canonical key reached from two different texts is the same flow.
  const alias: DesiredFlow = { table: 0, priority: 3, match: 'in_port=1,vlan_tci=0x0000', actions: 'drop', canonical: { match: 'in_port=1,vlan_tci=0x0000/0x1fff', actions: 'drop' } };
  assert.throws(() => planFlowSync([], [d(0), alias], RUN), FlowSpecError);
});

test('an invalid desired flow (line break) is refused before any line is planned', () => {
  assert.throws(() => planFlowSync([], [{ table: 0, priority: 1, match: 'in_port=1\ndelete', actions: 'drop' }], RUN), FlowSpecError);
});
