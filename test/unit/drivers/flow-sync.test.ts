/**
 * FlowSync against a stateful fake switch: it stores flows as "OVS" prints them (a few
 * of OVS 3.1's OF1.4 rewrites), applies add-flows lines atomically and refuses
 * `group:99` the way OVS does. The real switch is in test/integration/ovs/flow-sync*.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlowSpec } from '../../../agents/ovs/model.js';
import { CommandError } from '../../../shared/exec/errors.js';
import { parseCookie } from '../../../shared/drivers/ovs/flow-cookie.js';
import type { DumpedFlow } from '../../../shared/drivers/ovs/flow-dump.js';
import { FlowSpecError, FlowSyncError } from '../../../shared/drivers/ovs/flow-errors.js';
import { FlowSync, type OfctlPort } from '../../../shared/drivers/ovs/flow-sync.js';
import type { CanonicalFlow } from '../../../shared/drivers/ovs/ovs-ofctl.js';

const RUN1 = 0x6e75000000000001n;
const RUN2 = 0x6e75000000000002n;

function canonMatch(m: string): string {
  return m.replace('dl_vlan=0xffff', 'vlan_tci=0x0000/0x1fff');
}
function canonActions(match: string, a: string): string {
  return a
    .replace(/mod_vlan_vid:(\d+)/g, (_s, n: string) => `${/dl_vlan=\d/.test(match) ? '' : 'push_vlan:0x8100,'}set_field:${4096 + Number(n)}->vlan_vid`)
    .replace(/strip_vlan/g, 'pop_vlan');
}

class FakeSwitch implements OfctlPort {
  readonly bridges = new Map<string, DumpedFlow[]>();
  readonly calls: string[] = [];
  canonicaliseCalls: number[] = [];
  /** When set, the canonicaliser predicts this instead of what the switch stores (a wrong prediction). */
  wrongCanonical: string | undefined;
  inFlight = 0;
  maxInFlight = 0;

  constructor(bridges: string[]) {
    for (const b of bridges) this.bridges.set(b, [{ cookie: 0n, table: 0, priority: 0, match: '', actions: 'NORMAL' }]);
  }

  async canonicalise(specs: readonly FlowSpec[]): Promise<CanonicalFlow[]> {
    this.canonicaliseCalls.push(specs.length);
    return specs.map((s, i) => {
      if (s.actions.includes('bogus')) throw new FlowSpecError(i, s, 'unknown action bogus');
      const match = canonMatch(s.match);
      return { match, actions: this.wrongCanonical ?? canonActions(match, s.actions) };
    });
  }

  async dumpFlows(bridge: string): Promise<DumpedFlow[]> {
    await this.enter(`dump ${bridge}`);
    try {
      const flows = this.bridges.get(bridge);
      if (!flows) throw new CommandError({ argv: ['ovs-ofctl', 'dump-flows', bridge], exitCode: 1, stdout: '', stderr: `ovs-ofctl: ${bridge} is not a bridge or a socket\n`, timedOut: false });
      return flows.map((f) => ({ ...f }));
    } finally {
      this.inFlight--;
    }
  }

  async bundle(bridge: string, lines: readonly string[]): Promise<void> {
    await this.enter(`bundle ${bridge} ${lines.length}`);
    try {
      const next = (this.bridges.get(bridge) ?? []).map((f) => ({ ...f }));
      for (const line of lines) {
        const at0 = line.indexOf(',actions=');
        const head = at0 >= 0 ? line.slice(0, at0) : line;
        const rawActions = at0 >= 0 ? line.slice(at0 + ',actions='.length) : '';
        const m = /^(add|modify_strict|delete_strict) cookie=(0x[0-9a-f]+)(\/-1)?,table=(\d+),priority=(\d+)(?:,(.*))?$/.exec(head);
        if (!m) throw new Error(`fake switch cannot read ${line}`);
        const [, cmd, c, , t, p, rawMatch = ''] = m;
        const cookie = parseCookie(c as string);
        const match = canonMatch(rawMatch);
        const actions = canonActions(match, rawActions);
        const at = next.findIndex((f) => f.table === Number(t) && f.priority === Number(p) && f.match === match);
        if (actions.includes('group:99')) {
          throw new CommandError({ argv: ['ovs-ofctl', '--bundle', 'add-flows', bridge, '-'], exitCode: 1, stdout: '', timedOut: false,
            stderr: `Error OFPBAC_BAD_OUT_GROUP for: OFPT_FLOW_MOD (OF1.4) (xid=0x7): ADD table:${t} priority=${p}${match ? `,${match}` : ''} cookie:${c} actions=${actions}\nError OFPBFC_MSG_FAILED for: OFPT_BUNDLE_CONTROL (OF1.4) (xid=0xa):\novs-ofctl: talking to unix:/x/${bridge}.mgmt (Protocol error)\n` });
        }
        if (cmd === 'add') {
          const f: DumpedFlow = { cookie, table: Number(t), priority: Number(p), match, actions, nPackets: 0, durationSec: 0 };
          if (at >= 0) next[at] = f;
          else next.push(f);
        } else if (at >= 0 && next[at]?.cookie === cookie) {
          if (cmd === 'modify_strict') (next[at] as DumpedFlow).actions = actions;
          else next.splice(at, 1);
        }
      }
      this.bridges.set(bridge, next);
    } finally {
      this.inFlight--;
    }
  }

  private async enter(what: string): Promise<void> {
    this.calls.push(what);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((r) => setImmediate(r));
  }
}

const DESIRED: FlowSpec[] = [
  { table: 0, priority: 0, match: '', actions: 'resubmit(,60)' },
  { table: 0, priority: 3, match: 'in_port=1,dl_vlan=0xffff', actions: 'mod_vlan_vid:3,resubmit(,60)' },
  { table: 0, priority: 4, match: 'in_port=1,dl_vlan=7', actions: 'mod_vlan_vid:3,resubmit(,60)' },
  { table: 22, priority: 1, match: 'dl_vlan=3', actions: 'strip_vlan,output:2' },
];

test('first sync: one bundle; second sync: a dump and nothing else (no canonicalise, no bundle)', async () => {
  const sw = new FakeSwitch(['br-int']);
  const fs = new FlowSync(sw);
  const r1 = await fs.syncFlows('br-int', DESIRED, { cookie: RUN1 });
  assert.deepEqual([r1.added, r1.modified, r1.deleted, r1.unchanged, r1.replacedForeign, r1.flowMods, r1.unconverged], [4, 0, 0, 0, 1, 4, 0]);
  assert.deepEqual(sw.calls, ['dump br-int', 'bundle br-int 4', 'dump br-int']);
  sw.calls.length = 0;
  const r2 = await fs.syncFlows('br-int', DESIRED, { cookie: RUN1 });
  assert.deepEqual([r2.added, r2.modified, r2.deleted, r2.unchanged, r2.flowMods], [0, 0, 0, 4, 0]);
  assert.deepEqual(sw.calls, ['dump br-int']);
  assert.deepEqual(sw.canonicaliseCalls, [4], 'canonical text is cached by flow text');
});

test('a new flow is canonicalised alone; flows hand-deleted and hand-modified are restored', async () => {
  const sw = new FakeSwitch(['br-int']);
  const fs = new FlowSync(sw);
  await fs.syncFlows('br-int', DESIRED, { cookie: RUN1 });
  const flows = sw.bridges.get('br-int') as DumpedFlow[];
  flows.splice(flows.findIndex((f) => f.table === 22), 1);
  (flows.find((f) => f.priority === 3) as DumpedFlow).actions = 'drop';
  const more = [...DESIRED, { table: 60, priority: 100, match: 'in_port=1', actions: 'set_field:0x1->reg5,resubmit(,71)' }];
  const r = await fs.syncFlows('br-int', more, { cookie: RUN1 });
  assert.deepEqual([r.added, r.modified, r.deleted, r.unchanged, r.unconverged], [2, 1, 0, 2, 0]);
  assert.deepEqual(sw.canonicaliseCalls, [4, 1]);
});

test('restart with a new cookie: everything re-added under it and old leftovers deleted, in one bundle', async () => {
  const sw = new FakeSwitch(['br-int']);
  await new FlowSync(sw).syncFlows('br-int', [...DESIRED, { table: 71, priority: 95, match: 'in_port=9', actions: 'drop' }], { cookie: RUN1 });
  sw.calls.length = 0;
  const r = await new FlowSync(sw).syncFlows('br-int', DESIRED, { cookie: RUN2 });
  assert.deepEqual([r.added, r.recookied, r.deleted, r.unchanged, r.unconverged], [4, 4, 1, 0, 0]);
  assert.deepEqual(sw.calls, ['dump br-int', 'bundle br-int 5', 'dump br-int']);
  assert.ok((sw.bridges.get('br-int') as DumpedFlow[]).every((f) => f.cookie === RUN2));
});

test('a flow the switch refuses: typed error naming the line, and the bridge is as before', async () => {
  const sw = new FakeSwitch(['br-int']);
  const fs = new FlowSync(sw);
  await fs.syncFlows('br-int', DESIRED, { cookie: RUN1 });
  const before = JSON.stringify(sw.bridges.get('br-int'), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v));
  const bad = [...DESIRED.slice(1), { table: 30, priority: 5, match: 'in_port=2', actions: 'group:99' }];
  await assert.rejects(fs.syncFlows('br-int', bad, { cookie: RUN1 }), (e: unknown) => {
    assert.ok(e instanceof FlowSyncError);
    assert.equal(e.phase, 'apply');
    assert.equal(e.bridge, 'br-int');
    assert.equal(e.line, `add cookie=0x6e75000000000001,table=30,priority=5,in_port=2,actions=group:99`);
    assert.match(e.stderr, /OFPBAC_BAD_OUT_GROUP/);
    assert.match(e.message, /OFPBAC_BAD_OUT_GROUP/);
    return true;
  });
  assert.equal(JSON.stringify(sw.bridges.get('br-int'), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v)), before);
});

test('a flow OVS cannot parse: typed error naming the caller\'s flow, no bundle sent', async () => {
  const sw = new FakeSwitch(['br-int']);
  const fs = new FlowSync(sw);
  await fs.syncFlows('br-int', DESIRED, { cookie: RUN1 });
  sw.calls.length = 0;
  await assert.rejects(fs.syncFlows('br-int', [...DESIRED, { table: 1, priority: 1, match: '', actions: 'bogus' }], { cookie: RUN1 }), (e: unknown) => {
    assert.ok(e instanceof FlowSyncError);
    assert.equal(e.phase, 'canonicalise');
    assert.equal(e.line, 'table=1,priority=1,actions=bogus');
    assert.match(e.message, /desired flow #4/);
    return true;
  });
  assert.deepEqual(sw.calls, []);
});

test('validation failures come before any command: bad bridge name, line break, cookie not ours', async () => {
  const sw = new FakeSwitch(['br-int']);
  const fs = new FlowSync(sw);
  await assert.rejects(fs.syncFlows('br int', DESIRED, { cookie: RUN1 }), (e: unknown) => e instanceof FlowSyncError && e.phase === 'validate');
  await assert.rejects(fs.syncFlows('br-int', [{ table: 0, priority: 1, match: 'in_port=1\n', actions: 'drop' }], { cookie: RUN1 }), (e: unknown) => e instanceof FlowSyncError && e.phase === 'validate' && e.kind === 'FATAL');
  await assert.rejects(fs.syncFlows('br-int', DESIRED, { cookie: 0x5n }), (e: unknown) => e instanceof FlowSyncError && e.phase === 'validate');
  assert.deepEqual(sw.calls, []);
});

test('a missing bridge is a NOT_FOUND dump failure', async () => {
  const fs = new FlowSync(new FakeSwitch([]));
  await assert.rejects(fs.syncFlows('br-tun', DESIRED, { cookie: RUN1 }), (e: unknown) => e instanceof FlowSyncError && e.phase === 'dump' && e.kind === 'NOT_FOUND');
});

test('a canonical prediction the switch does not confirm is reported as unconverged, not looped on', async () => {
  const sw = new FakeSwitch(['br-int']);
  sw.wrongCanonical = 'output:7';
  const r = await new FlowSync(sw).syncFlows('br-int', DESIRED.slice(0, 1), { cookie: RUN1 });
  assert.equal(r.flowMods, 1);
  assert.equal(r.unconverged, 1);
  assert.deepEqual(sw.calls, ['dump br-int', 'bundle br-int 1', 'dump br-int']);
});

test('calls for one bridge are serialised; different bridges may overlap', async () => {
  const sw = new FakeSwitch(['br-int', 'br-tun']);
  const fs = new FlowSync(sw);
  await Promise.all([fs.syncFlows('br-int', DESIRED, { cookie: RUN1 }), fs.syncFlows('br-int', DESIRED.slice(1), { cookie: RUN1 })]);
  assert.equal(sw.maxInFlight, 1);
  const final = sw.bridges.get('br-int') as DumpedFlow[];
  assert.ok(!final.some((f) => f.cookie === RUN1 && f.priority === 0), 'the second call (without the table-0 default) ran last');
  await Promise.all([fs.syncFlows('br-int', DESIRED, { cookie: RUN1 }), fs.syncFlows('br-tun', DESIRED, { cookie: RUN1 })]);
  assert.equal(sw.maxInFlight, 2);
});

test('a failed call does not block the next one for the same bridge', async () => {
  const sw = new FakeSwitch(['br-int']);
  const fs = new FlowSync(sw);
  await assert.rejects(fs.syncFlows('br-int', [{ table: 1, priority: 1, match: '', actions: 'group:99' }], { cookie: RUN1 }), FlowSyncError);
  const r = await fs.syncFlows('br-int', DESIRED, { cookie: RUN1 });
  assert.equal(r.added, 4);
});
