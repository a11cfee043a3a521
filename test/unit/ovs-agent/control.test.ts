/**
 * The OVS agent's control provider with a real OvsAgent on fake dependencies (OVSDB
 * snapshot, cache answers, renderer, update_device_list) and a real FlowSync on a fake
 * switch: diff is a dry run (no ovs-vsctl, no bundle, agent state untouched), lists
 * the OVSDB subcommands and per-bridge flow mods, is empty when converged; a dry run
 * waits for an apply in progress; trace shows one port's cache facts, OVSDB row, local
 * VLAN, report state and its br-int flows; the flow matchers know OVS's printed forms.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OvsAgent, type OvsAgentDeps } from '../../../agents/ovs/agent.js';
import { dryRunEntries, ovsControl } from '../../../agents/ovs/control.js';
import { flowTouchesPort, flowTouchesVlan, formatFlow } from '../../../agents/ovs/control-trace.js';
import type { OvsAgentConfig } from '../../../agents/ovs/desired.js';
import type { FlowSpec } from '../../../agents/ovs/model.js';
import { emptyObserved, type ObservedOvs } from '../../../agents/ovs/observed.js';
import type { OvsPluginApi } from '../../../agents/ovs/plugin-api.js';
import type { PortFacts } from '../../../agents/ovs/port-facts.js';
import type { DumpedFlow } from '../../../shared/drivers/ovs/flow-dump.js';
import { FlowSync, type OfctlPort } from '../../../shared/drivers/ovs/flow-sync.js';
import type { CanonicalFlow } from '../../../shared/drivers/ovs/ovs-ofctl.js';
import type { CommandRunner, RunResult } from '../../../shared/exec/command-runner.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import type { ApplyWork } from '../../../shared/reconcile/runner.js';

const COOKIE = 0x6e75000000000001n;
const OLD_COOKIE = 0x6e75000000000009n;
const NET = 'aaaaaaaa-0000-4000-8000-000000000001';
const P1 = '11111111-0000-4000-8000-000000000001';
const MAC = 'fa:16:3e:00:00:01';

const config: OvsAgentConfig = {
  integrationBridge: 'br-int', tunnelBridge: 'br-tun', intPeerPatchPort: 'patch-tun', tunPeerPatchPort: 'patch-int',
  datapathType: 'netdev', bridgeMappings: {}, tunnelTypes: [], localIp: undefined,
  vxlanUdpPort: 4789, dontFragment: true, tunnelCsum: false, l2Population: false, arpResponder: false, firewallDriver: 'noop',
};

function facts(over: Partial<PortFacts> = {}): PortFacts {
  return {
    portId: P1, networkId: NET, mac: MAC, adminStateUp: true, networkType: 'local', segmentationId: undefined, physicalNetwork: undefined, mtu: 1500,
    fixedIps: ['10.1.0.5'], allowedAddressPairs: [], portSecurityEnabled: true, securityGroupIds: ['5b5b5b5b-0000-4000-8000-000000000005'], deviceOwner: 'compute:nova', ...over,
  };
}

/** br-int with one VM port (tap…, ofport 3); `tag` as OVSDB holds it. */
function observed(tag: number | undefined): ObservedOvs {
  const o = emptyObserved();
  o.bridges.set('br-int', { name: 'br-int', datapathType: 'netdev', failMode: 'secure', ports: ['tap11111111-00'] });
  const iface = { name: 'tap11111111-00', ofport: 3, type: '', externalIds: { 'iface-id': P1, 'attached-mac': MAC }, options: {}, error: undefined };
  o.interfaces.set(iface.name, iface);
  const otherConfig: Record<string, string> = tag === undefined ? {} : { net_uuid: NET, network_type: 'local', physical_network: 'None', segmentation_id: 'None', tag: String(tag) };
  o.ports.set(iface.name, { name: iface.name, bridge: 'br-int', tag, vlanMode: undefined, trunks: [], otherConfig, interfaces: [iface] });
  return o;
}

/** What the fake renderer wants on br-int for the wired ports (local VLAN → port). */
function renderBrInt(vlan: number | undefined, ofport: number | undefined): FlowSpec[] {
  const base: FlowSpec[] = [{ table: 0, priority: 0, match: '', actions: 'resubmit(,60)' }, { table: 60, priority: 3, match: '', actions: 'NORMAL' }];
  if (vlan === undefined || ofport === undefined) return base;
  return [...base, { table: 60, priority: 100, match: `in_port=${ofport}`, actions: `resubmit(,71)` }, { table: 94, priority: 12, match: `reg6=0x${vlan.toString(16)},dl_dst=${MAC}`, actions: `output:${ofport}` }];
}

/** A switch that stores flows as given (canonical form = given text) and counts bundles. */
class FakeSwitch implements OfctlPort {
  flows: DumpedFlow[] = [];
  bundles: string[][] = [];
  async canonicalise(specs: readonly FlowSpec[]): Promise<CanonicalFlow[]> {
    return specs.map((s) => ({ match: s.match, actions: s.actions }));
  }
  async dumpFlows(): Promise<DumpedFlow[]> {
    return this.flows.map((f) => ({ ...f }));
  }
  /** Applies add / modify_strict / delete_strict lines as the switch would (one flow per table, priority, match). */
  async bundle(_bridge: string, lines: readonly string[]): Promise<void> {
    this.bundles.push([...lines]);
    for (const line of lines) {
      const at0 = line.indexOf(',actions=');
      const head = at0 >= 0 ? line.slice(0, at0) : line;
      const actions = at0 >= 0 ? line.slice(at0 + ',actions='.length) : '';
      const m = /^(add|modify_strict|delete_strict) cookie=(0x[0-9a-f]+)(?:\/-1)?,table=(\d+),priority=(\d+)(?:,(.*))?$/.exec(head);
      if (!m) throw new Error(`fake switch cannot read ${line}`);
      const [, cmd, c, t, p, match = ''] = m;
      const at = this.flows.findIndex((f) => f.table === Number(t) && f.priority === Number(p) && f.match === match);
      if (at >= 0) this.flows.splice(at, 1);
      if (cmd !== 'delete_strict') this.flows.push({ cookie: BigInt(c as string), table: Number(t), priority: Number(p), match, actions, nPackets: 0 });
    }
  }
  install(specs: FlowSpec[], cookie: bigint): void {
    this.flows = specs.map((s) => ({ ...s, cookie, nPackets: 0 }));
  }
}

interface Rig {
  agent: OvsAgent;
  sw: FakeSwitch;
  vsctl: string[][];
  reports: Array<{ up: string[]; down: string[] }>;
  renders: number;
  state: { observed: ObservedOvs };
  blockSync?: Promise<void>;
}

function rig(over: Partial<OvsAgentDeps> = {}): Rig {
  const sw = new FakeSwitch();
  const sync = new FlowSync(sw);
  const r: Rig = { agent: undefined as unknown as OvsAgent, sw, vsctl: [], reports: [], renders: 0, state: { observed: observed(undefined) } };
  const runner: CommandRunner = {
    async run(argv): Promise<RunResult> {
      r.vsctl.push([...argv]);
      // The "switch" takes the tag the agent sets.
      const tag = argv.find((a) => a.startsWith('tag='));
      if (tag) r.state.observed = observed(Number(tag.slice(4)));
      return { stdout: '', stderr: '', exitCode: 0, durationMs: 1 };
    },
  };
  const plugin = {
    async updateDeviceList(up: string[], down: string[]) {
      r.reports.push({ up, down });
      return { devicesUp: up, failedDevicesUp: [], devicesDown: down, failedDevicesDown: [] };
    },
    async tunnelSync() { return []; },
  } as unknown as OvsPluginApi;
  r.agent = new OvsAgent({
    config, host: 'h1', runner, logger: silentLogger(), plugin, vsctlArgs: [],
    observe: () => r.state.observed,
    waitForOfports: async () => undefined,
    portDetails: async (portId) => (portId === P1 ? { kind: 'port', facts: facts() } : { kind: 'unknown' }),
    renderFlows: async ({ desired }) => {
      r.renders++;
      const w = desired.wired[0];
      return new Map([['br-int', renderBrInt(w?.localVlan, w?.ofport)]]);
    },
    syncFlows: async (bridge, flows) => {
      if (r.blockSync) await r.blockSync;
      const res = await sync.syncFlows(bridge, flows, { cookie: COOKIE });
      return { added: res.added, modified: res.modified, deleted: res.deleted };
    },
    ...over,
  });
  return r;
}

const work = (fullSync = true): ApplyWork => ({ fullSync, keys: new Set(), reason: ['startup'], fullSyncReasons: ['startup'] });

function provider(r: Rig, diffFlowLines?: number) {
  return ovsControl({
    agent: r.agent, flowSync: new FlowSync(r.sw), ofctl: r.sw, cookie: COOKIE, agentType: 'Open vSwitch agent', host: 'h1', daemon: 'nucleon-ovs-agent',
    resync: () => undefined, ...(diffFlowLines !== undefined ? { diffFlowLines } : {}),
  });
}

test('FlowSync.plan is the bundle syncFlows would send, without sending it', async () => {
  const sw = new FakeSwitch();
  const fs = new FlowSync(sw);
  sw.install([{ table: 0, priority: 1, match: 'in_port=9', actions: 'drop' }], OLD_COOKIE);
  const want: FlowSpec[] = [{ table: 0, priority: 1, match: 'in_port=9', actions: 'drop' }, { table: 60, priority: 3, match: '', actions: 'NORMAL' }];
  const plan = await fs.plan('br-int', want, { cookie: COOKIE });
  assert.equal(plan.added, 2);
  assert.equal(plan.recookied, 1);
  assert.equal(plan.lines.length, 2);
  assert.equal(sw.bundles.length, 0, 'nothing sent');
  const res = await fs.syncFlows('br-int', want, { cookie: COOKIE });
  assert.deepEqual(sw.bundles[0], plan.lines, 'the apply sends exactly the planned lines');
  assert.equal(res.added, 2);
  await assert.rejects(fs.plan('br int', want, { cookie: COOKIE }), /br int/);
});

test('diff before the first apply: the port tag and every flow, with nothing written and no agent state changed', async () => {
  const r = rig();
  const entries = await provider(r).diff!();
  assert.equal(r.vsctl.length, 0, 'no ovs-vsctl run');
  assert.equal(r.sw.bundles.length, 0, 'no bundle sent');
  assert.equal(r.agent.desired(), undefined, 'lastDesired untouched');
  assert.equal(r.agent.reported(P1), undefined);
  const ovsdb = entries.filter((e) => e.key.startsWith('ovsdb:'));
  assert.ok(ovsdb.some((e) => e.op === 'ovsdb.set' && e.key === 'ovsdb:tap11111111-00' && /^ovs-vsctl --if-exists set Port tap11111111-00 tag=1 /.test(e.description)), JSON.stringify(ovsdb));
  const summary = entries.find((e) => e.op === 'flows.bundle');
  // Before the tag is set the port is wired already (ofport known), so its flows are planned too.
  assert.match(summary?.description ?? '', /^4 add, 0 modify, 0 delete \(0 unchanged\); all 4 listed$/);
  assert.equal(entries.filter((e) => e.op === 'flow.add').length, 4);
  assert.ok(entries.some((e) => e.description === `missing: add cookie=0x6e75000000000001,table=60,priority=100,in_port=3,actions=resubmit(,71)`), JSON.stringify(entries, null, 1));
});

test('diff is empty once converged, and lists what a flow deleted by hand needs', async () => {
  const r = rig();
  await r.agent.apply(work());
  await r.agent.apply(work(false)); // the tag is set: second pass converges
  assert.equal(r.agent.reported(P1), 'up');
  const p = provider(r);
  const bundlesBefore = r.sw.bundles.length;
  assert.deepEqual(await p.diff!(), [], 'converged: nothing pending');
  r.sw.flows = r.sw.flows.filter((f) => f.table !== 60);
  const entries = await p.diff!();
  assert.equal(r.sw.bundles.length, bundlesBefore, 'still nothing sent');
  assert.deepEqual(entries.map((e) => e.op), ['flows.bundle', 'flow.add', 'flow.add']);
  assert.match(entries[0]!.description, /^2 add, 0 modify, 0 delete \(2 unchanged\)/);
  assert.ok(entries.slice(1).every((e) => e.key === 'flows:br-int' && e.description.startsWith('missing: add ') && e.description.includes('table=60')));
});

test('diff lists the first N flow mods per bridge, counts them all, and reports render or plan failures', async () => {
  const r = rig();
  const entries = await provider(r, 1).diff!();
  const flows = entries.filter((e) => e.key === 'flows:br-int');
  assert.equal(flows.length, 2);
  assert.match(flows[0]!.description, /first 1 of 4 flow mods listed/);

  const broken = rig({ renderFlows: async () => { throw new Error('security-group info unavailable'); } });
  const e2 = await provider(broken).diff!();
  assert.deepEqual(e2.filter((e) => e.op === 'error'), [{ key: 'flows', op: 'error', description: 'security-group info unavailable' }]);

  const stale = rig();
  stale.state.observed = observed(1);
  stale.sw.install([...renderBrInt(1, 3), { table: 61, priority: 9, match: '', actions: 'drop' }], COOKIE);
  const e3 = dryRunEntries(await stale.agent.dryRun((b, f) => new FlowSync(stale.sw).plan(b, f, { cookie: COOKIE })), 20);
  assert.deepEqual(e3.map((e) => e.op), ['flows.bundle', 'flow.delete']);
  assert.ok(e3.some((e) => e.op === 'flow.delete' && e.description.startsWith('stale: delete_strict ') && e.description.includes('table=61')), JSON.stringify(e3, null, 1));
});

test('a dry run waits for the apply in progress (their renders never interleave)', async () => {
  const r = rig();
  let release!: () => void;
  r.blockSync = new Promise<void>((res) => { release = res; });
  const applying = r.agent.apply(work());
  await new Promise((res) => setTimeout(res, 10));
  assert.equal(r.renders, 1, 'the apply rendered and is stuck in its flow sync');
  const dry = r.agent.dryRun(async () => ({ added: 0, modified: 0, deleted: 0, unchanged: 0, recookied: 0, replacedForeign: 0, foreignKept: 0, mods: [], lines: [] }));
  await new Promise((res) => setTimeout(res, 10));
  assert.equal(r.renders, 1, 'the dry run has not rendered yet');
  release();
  await applying;
  await dry;
  assert.equal(r.renders, 2);
});

test('trace <port>: cache facts, OVSDB row, local VLAN, reported state and the port’s br-int flows', async () => {
  const r = rig();
  await r.agent.apply(work());
  await r.agent.apply(work(false));
  // A flow of another port on the same network, and one of another network.
  r.sw.flows.push({ cookie: COOKIE, table: 94, priority: 12, match: 'reg6=0x1,dl_dst=fa:16:3e:00:00:02', actions: 'output:4', nPackets: 7 });
  r.sw.flows.push({ cookie: COOKIE, table: 94, priority: 12, match: 'reg6=0x2,dl_dst=fa:16:3e:00:00:03', actions: 'output:5' });
  const t = await provider(r).trace!(P1.toUpperCase());
  const cache = t['cache'] as Record<string, unknown>;
  assert.equal(cache['network_id'], NET);
  assert.equal(cache['admin_state_up'], true);
  assert.deepEqual(cache['security_groups'], ['5b5b5b5b-0000-4000-8000-000000000005']);
  const ovsdb = t['ovsdb'] as Record<string, unknown>;
  assert.equal(ovsdb['interface'], 'tap11111111-00');
  assert.equal(ovsdb['ofport'], 3);
  assert.equal(ovsdb['tag'], 1);
  assert.equal((ovsdb['other_config'] as Record<string, string>)['net_uuid'], NET);
  assert.equal((t['local_vlan'] as Record<string, unknown>)['local_vlan'], 1);
  assert.equal((t['wiring'] as Record<string, unknown>)['state'], 'wired');
  assert.equal(t['reported'], 'up');
  const flows = t['flows'] as { port: { count: number; lines: string[] }; network: { count: number; lines: string[] } };
  assert.equal(flows.port.count, 2, JSON.stringify(flows, null, 1));
  assert.ok(flows.port.lines.some((l) => l.includes('in_port=3')));
  assert.ok(flows.port.lines.some((l) => l.includes('actions=output:3')));
  assert.deepEqual(flows.network.lines, ['cookie=0x6e75000000000001, table=94, n_packets=7, priority=12,reg6=0x1,dl_dst=fa:16:3e:00:00:02 actions=output:4']);

  assert.deepEqual(await provider(r).trace!('99999999-0000-4000-8000-000000000009'), {}, 'unknown port');
  const net = await provider(r).trace!(NET);
  assert.equal((net['network'] as Record<string, unknown>)['local_vlan'], 1);
  assert.deepEqual((net['ports'] as Array<Record<string, unknown>>).map((p) => p['port_id']), [P1]);
  assert.equal((net['flows'] as { network: { count: number } }).network.count, 2);
});

test('status counts devices, wired ports and local VLANs of the last apply', async () => {
  const r = rig();
  assert.deepEqual(provider(r).status(), { devices: 0, wired: 0, unwirable: 0, local_vlans: 0, tunnels: 0 });
  await r.agent.apply(work());
  assert.deepEqual(provider(r).status(), { devices: 1, wired: 1, unwirable: 0, local_vlans: 1, tunnels: 0 });
});

test('flow matchers: ofport, MAC and local VLAN in the forms OVS prints', () => {
  const f = (match: string, actions: string): DumpedFlow => ({ cookie: 0n, table: 0, priority: 1, match, actions });
  const port = { ofport: 3, mac: MAC };
  assert.ok(flowTouchesPort(f('in_port=3', 'drop'), port));
  assert.ok(flowTouchesPort(f('ct_state=+est-rel-rpl,ip,reg5=0x3', 'ct(commit,zone=NXM_NX_REG6[0..15]),output:3'), port));
  assert.ok(flowTouchesPort(f('reg6=0x1', 'load:0x3->NXM_NX_REG5[],resubmit(,81)'), port));
  assert.ok(flowTouchesPort(f('reg6=0x1', 'set_field:0x3->reg5,resubmit(,81)'), port));
  assert.ok(flowTouchesPort(f('dl_vlan=1,dl_dst=FA:16:3E:00:00:01', 'pop_vlan,output:9'), port));
  assert.ok(!flowTouchesPort(f('in_port=33', 'output:13'), port));
  assert.ok(!flowTouchesPort(f('reg5=0x30', 'load:0x13->NXM_NX_REG5[]'), port));
  assert.ok(!flowTouchesPort(f('in_port=3', 'drop'), { mac: MAC }));
  assert.ok(flowTouchesVlan(f('in_port=1,dl_vlan=100', 'set_field:4097->vlan_vid,resubmit(,60)'), 1));
  assert.ok(flowTouchesVlan(f('in_port=1,vlan_tci=0x0000/0x1fff', 'push_vlan:0x8100,set_field:4097->vlan_vid,resubmit(,60)'), 1));
  assert.ok(flowTouchesVlan(f('dl_vlan=1', 'pop_vlan,output:3'), 1));
  assert.ok(flowTouchesVlan(f('vlan_tci=0x1001/0x1fff', 'NORMAL'), 1));
  assert.ok(flowTouchesVlan(f('reg6=0x1,dl_dst=fa:16:3e:aa:bb:cc', 'output:3'), 1));
  assert.ok(flowTouchesVlan(f('in_port=3', 'load:0x3->NXM_NX_REG5[],load:0x1->NXM_NX_REG6[],resubmit(,71)'), 1));
  assert.ok(!flowTouchesVlan(f('dl_vlan=11', 'set_field:4107->vlan_vid'), 1));
  assert.ok(!flowTouchesVlan(f('reg6=0x10', 'load:0x11->NXM_NX_REG6[]'), 1));
  assert.equal(formatFlow({ cookie: 0x6e75n, table: 20, priority: 1, match: 'dl_vlan=1', actions: 'drop', idleTimeout: 300, nPackets: 2 }), 'cookie=0x6e75, table=20, n_packets=2, idle_timeout=300, priority=1,dl_vlan=1 actions=drop');
});
