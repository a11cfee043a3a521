/**
 * firewall_driver = iptables_hybrid in the OVS agent: which driver a configured name
 * means; when HybridFirewall reconciles (input changed, full pass, after a failure),
 * which ports it covers, its typed errors and its log-once behaviour; and OvsAgent with
 * a port filter on fake dependencies: the filter runs before the port's tag is set, and
 * a port whose filter failed is not reported up until it is in place.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from 'pino';
import { firewallKindOf, resolveFirewallDriver } from '../../../agents/ovs/firewall-driver.js';
import { HybridFirewall, HybridFirewallError, problemPortId, type HybridFirewallDeps } from '../../../agents/ovs/hybrid-firewall.js';
import { OvsAgent, type PortFilter } from '../../../agents/ovs/agent.js';
import type { OvsAgentConfig } from '../../../agents/ovs/desired.js';
import { emptyObserved, type ObservedOvs } from '../../../agents/ovs/observed.js';
import type { OvsPluginApi } from '../../../agents/ovs/plugin-api.js';
import type { PortFacts } from '../../../agents/ovs/port-facts.js';
import { FirewallApplyError, type FirewallApplyResult } from '../../../shared/firewall/linuxbridge-firewall.js';
import { CommandError } from '../../../shared/exec/errors.js';
import type { CommandRunner, RunResult } from '../../../shared/exec/command-runner.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import type { ApplyWork } from '../../../shared/reconcile/runner.js';

const P1 = '11111111-0000-4000-8000-000000000001';
const P2 = '22222222-0000-4000-8000-000000000002';
const NET = 'aaaaaaaa-0000-4000-8000-000000000001';

interface Line { level: string; obj: Record<string, unknown>; msg: string }

/** A pino-shaped logger that keeps what it is given. */
function recordingLogger(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (obj: Record<string, unknown>, msg: string) => { lines.push({ level, obj, msg }); };
  const logger = { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug'), trace: at('trace'), fatal: at('fatal') } as Record<string, unknown>;
  logger['child'] = () => logger;
  return { logger: logger as unknown as Logger, lines };
}

// Only the steps every version of shared/firewall reports; HybridFirewall reads whatever is there.
const NOTHING_CHANGED = { sysctl: false, ipsets: [], iptables4: false, iptables6: false, nft: false, destroyedIpsets: [] } as unknown as FirewallApplyResult['changed'];

function reply(ids: readonly string[], rules = 0): unknown {
  return {
    devices: Object.fromEntries(ids.map((id) => [id, { id, device: `tap${id.slice(0, 11)}`, network_id: NET }])),
    security_groups: { sg: Array.from({ length: rules }, () => ({ direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' })) },
    sg_member_ips: {},
  };
}

function fakeFirewall(over: Partial<HybridFirewallDeps> = {}) {
  const { logger, lines } = recordingLogger();
  const state = { rules: 0, applied: [] as unknown[], asked: [] as string[][], fail: undefined as Error | undefined, problems: [] as Array<{ path: string; reason: string }> };
  const fw = new HybridFirewall({
    sgInfo: async (ids) => { state.asked.push([...ids]); return reply(ids, state.rules); },
    apply: async (r) => {
      if (state.fail) throw state.fail;
      state.applied.push(r);
      return { changed: { ...NOTHING_CHANGED, iptables4: state.applied.length === 1 }, problems: state.problems };
    },
    logger,
    ...over,
  });
  return { fw, state, lines };
}

test('firewall_driver: aliases and class paths, noop when security groups are off, unknown names kept', () => {
  assert.equal(firewallKindOf('iptables_hybrid'), 'iptables_hybrid');
  assert.equal(firewallKindOf('neutron.agent.linux.iptables_firewall.OVSHybridIptablesFirewallDriver'), 'iptables_hybrid');
  assert.equal(firewallKindOf('neutron.agent.linux.openvswitch_firewall.OVSFirewallDriver'), 'openvswitch');
  assert.equal(firewallKindOf('neutron.agent.firewall.NoopFirewallDriver'), 'noop');
  assert.equal(firewallKindOf('iptables'), undefined, 'the linuxbridge driver is not an OVS one');
  assert.equal(firewallKindOf(null), undefined);

  assert.deepEqual(resolveFirewallDriver({ enable_security_group: true, firewall_driver: 'iptables_hybrid' }), { driver: 'iptables_hybrid', enforced: 'iptables_hybrid', unknown: undefined, hybridPlug: true });
  assert.deepEqual(resolveFirewallDriver({ enable_security_group: true, firewall_driver: 'neutron.agent.linux.iptables_firewall.OVSHybridIptablesFirewallDriver' }), { driver: 'iptables_hybrid', enforced: 'iptables_hybrid', unknown: undefined, hybridPlug: true });
  assert.deepEqual(resolveFirewallDriver({ enable_security_group: true, firewall_driver: 'openvswitch' }), { driver: 'openvswitch', enforced: 'openvswitch', unknown: undefined, hybridPlug: false });
  // Python loads the driver (and reports its OVS_HYBRID_PLUG_REQUIRED) whatever enable_security_group says.
  assert.deepEqual(resolveFirewallDriver({ enable_security_group: false, firewall_driver: 'iptables_hybrid' }), { driver: 'noop', enforced: 'none', unknown: undefined, hybridPlug: true });
  assert.deepEqual(resolveFirewallDriver({ enable_security_group: true, firewall_driver: null }), { driver: 'noop', enforced: 'none', unknown: undefined, hybridPlug: false });
  assert.deepEqual(resolveFirewallDriver({ enable_security_group: true, firewall_driver: 'noop' }), { driver: 'noop', enforced: 'none', unknown: undefined, hybridPlug: false });
  assert.deepEqual(resolveFirewallDriver({ enable_security_group: true, firewall_driver: 'my.Driver' }), { driver: 'my.Driver', enforced: 'none', unknown: 'my.Driver', hybridPlug: false });
});

test('problemPortId: the port a reply path names', () => {
  assert.equal(problemPortId(`devices.${P1}`), P1);
  assert.equal(problemPortId(`devices.${P1}.fixed_ips[0]`), P1);
  assert.equal(problemPortId(`devices.${P1}[2]`), P1);
  assert.equal(problemPortId('security_groups.x'), undefined);
  assert.equal(problemPortId('devices'), undefined);
});

test('HybridFirewall reconciles on a new input or a full pass, not on an unchanged one', async () => {
  const { fw, state, lines } = fakeFirewall();
  assert.deepEqual(await fw.sync([P2, P1.toUpperCase(), P1], false), { applied: true, changed: true });
  assert.deepEqual(state.asked[0], [P1, P2], 'ids lower-cased, deduplicated, sorted');
  assert.deepEqual([...fw.filtered], [P1, P2]);
  assert.deepEqual(await fw.sync([P1, P2], false), { applied: false, changed: false }, 'same input: nothing to do');
  assert.equal(state.applied.length, 1);
  assert.deepEqual(await fw.sync([P1, P2], true), { applied: true, changed: false }, 'a full pass reads the kernel back');
  state.rules = 1;
  assert.equal((await fw.sync([P1, P2], false)).applied, true, 'a rule pushed: new input');
  assert.equal((await fw.sync([P1], false)).applied, true, 'a port gone: new input');
  assert.deepEqual([...fw.filtered], [P1]);
  assert.equal(state.applied.length, 4);
  assert.equal(lines.filter((l) => l.msg === 'firewall reconciled').length, 1, 'info only when the kernel changed');
});

test('HybridFirewall failures: typed with the step, logged once, retried even with the same input', async () => {
  const { fw, state, lines } = fakeFirewall();
  await fw.sync([P1], false);
  const cause = new CommandError({ argv: ['iptables-restore', '--noflush'], exitCode: 1, stdout: '', stderr: 'iptables-restore: line 3 failed', timedOut: false });
  state.fail = new FirewallApplyError('iptables4', cause);
  for (let i = 0; i < 3; i++) {
    await assert.rejects(fw.sync([P1, P2], false), (e: unknown) => e instanceof HybridFirewallError && e.step === 'iptables4' && e.portIds.join() === [P1, P2].join());
  }
  assert.equal(lines.filter((l) => l.level === 'error').length, 1, 'the same failure is logged once');
  assert.equal(lines.find((l) => l.level === 'error')?.obj['step'], 'iptables4');
  assert.deepEqual([...fw.filtered], [P1], 'P2 is not covered yet');
  state.fail = undefined;
  assert.equal((await fw.sync([P1, P2], false)).applied, true, 'retried although the input is the one that failed');
  assert.deepEqual([...fw.filtered], [P1, P2]);
  assert.ok(lines.some((l) => l.level === 'info' && l.msg === 'firewall reconciled again after a failure'));

  const bad = new HybridFirewall({ sgInfo: async () => { throw new Error('pull failed'); }, apply: async () => ({ changed: NOTHING_CHANGED, problems: [] }), logger: silentLogger() });
  await assert.rejects(bad.sync([P1], false), (e: unknown) => e instanceof HybridFirewallError && e.step === 'sg-info' && /pull failed/.test(e.message));
});

test('HybridFirewall logs each input problem once, with its port and network', async () => {
  const { fw, state, lines } = fakeFirewall();
  state.problems = [{ path: `devices.${P1}.fixed_ips[0]`, reason: 'not an address' }];
  await fw.sync([P1], false);
  await fw.sync([P1], true);
  const warns = lines.filter((l) => l.level === 'warn');
  assert.equal(warns.length, 1);
  assert.equal(warns[0]!.obj['port_id'], P1);
  assert.equal(warns[0]!.obj['network_id'], NET);
  state.problems = [];
  await fw.sync([P1], true);
  state.problems = [{ path: `devices.${P1}.fixed_ips[0]`, reason: 'not an address' }];
  await fw.sync([P1], true);
  assert.equal(lines.filter((l) => l.level === 'warn').length, 2, 'logged again once it came back');
});

// --- OvsAgent with a port filter -------------------------------------------------------

const config: OvsAgentConfig = {
  integrationBridge: 'br-int', tunnelBridge: 'br-tun', intPeerPatchPort: 'patch-tun', tunPeerPatchPort: 'patch-int',
  datapathType: 'netdev', bridgeMappings: {}, tunnelTypes: [], localIp: undefined,
  vxlanUdpPort: 4789, dontFragment: true, tunnelCsum: false, l2Population: false, arpResponder: false, firewallDriver: 'iptables_hybrid',
};

function facts(portId: string): PortFacts {
  return {
    portId, networkId: NET, mac: 'fa:16:3e:00:00:01', adminStateUp: true, networkType: 'local', segmentationId: undefined, physicalNetwork: undefined, mtu: 1500,
    fixedIps: ['10.1.0.5'], allowedAddressPairs: [], portSecurityEnabled: true, securityGroupIds: [], deviceOwner: 'compute:nova',
  };
}

/** br-int with the hybrid plug's qvo of P1 (ofport 3) and a port of an id the server does not know. */
function observed(tag: number | undefined): ObservedOvs {
  const o = emptyObserved();
  o.bridges.set('br-int', { name: 'br-int', datapathType: 'netdev', failMode: 'secure', ports: ['qvo11111111-00', 'qvo22222222-00'] });
  for (const [name, id, ofport] of [['qvo11111111-00', P1, 3], ['qvo22222222-00', P2, 4]] as const) {
    const iface = { name, ofport, type: '', externalIds: { 'iface-id': id }, options: {}, error: undefined };
    o.interfaces.set(name, iface);
    const t = id === P1 ? tag : undefined;
    o.ports.set(name, { name, bridge: 'br-int', tag: t, vlanMode: undefined, trunks: [], otherConfig: t === undefined ? {} : { net_uuid: NET, tag: String(t) }, interfaces: [iface] });
  }
  return o;
}

function agentRig(filter: PortFilter) {
  const events: string[] = [];
  const reports: Array<{ up: string[]; down: string[] }> = [];
  let state = observed(undefined);
  const runner: CommandRunner = {
    async run(argv): Promise<RunResult> {
      const tag = argv.find((a) => a.startsWith('tag='));
      if (tag) { events.push('tag'); state = observed(Number(tag.slice(4))); }
      return { stdout: '', stderr: '', exitCode: 0, durationMs: 1 };
    },
  };
  const plugin = {
    async updateDeviceList(up: string[], down: string[]) { reports.push({ up, down }); return { devicesUp: up, failedDevicesUp: [], devicesDown: down, failedDevicesDown: [] }; },
    async tunnelSync() { return []; },
  } as unknown as OvsPluginApi;
  const agent = new OvsAgent({
    config, host: 'h1', runner, logger: silentLogger(), plugin, vsctlArgs: [],
    observe: () => state,
    waitForOfports: async () => undefined,
    portDetails: async (portId) => (portId === P1 ? { kind: 'port', facts: facts(P1) } : { kind: 'unknown' }),
    renderFlows: async () => new Map([['br-int', [{ table: 0, priority: 0, match: '', actions: 'NORMAL' }]]]),
    syncFlows: async () => ({ added: 0, modified: 0, deleted: 0 }),
    portFilter: {
      get filtered() { return filter.filtered; },
      async sync(ids, full) { events.push(`filter ${ids.join(',')} full=${full}`); return filter.sync(ids, full); },
    },
  });
  return { agent, events, reports };
}

const work = (fullSync: boolean): ApplyWork => ({ fullSync, keys: new Set(), reason: [fullSync ? 'startup' : 'ovsdb changed'], fullSyncReasons: fullSync ? ['startup'] : [] });

test('OvsAgent: the port filter runs for the known ports before their tags are set', async () => {
  const filtered = new Set<string>();
  const r = agentRig({ filtered, async sync(ids) { for (const id of ids) filtered.add(id); } });
  const out = await r.agent.apply(work(true));
  assert.deepEqual(r.events, [`filter ${P1} full=true`, 'tag'], 'only the port the server knows, before the OVSDB transaction');
  assert.equal(out.failedKeys.size, 0);
  assert.deepEqual(r.reports[0]?.up, [P1]);
  await r.agent.apply(work(false));
  assert.equal(r.events[2], `filter ${P1} full=false`, 'every apply asks (the filter skips unchanged input itself)');
});

test('OvsAgent: a port whose filter failed is not reported up, then is once it is filtered', async () => {
  const filtered = new Set<string>();
  let fail = true;
  const r = agentRig({ filtered, async sync(ids) { if (fail) throw new Error('iptables-restore failed'); for (const id of ids) filtered.add(id); } });
  const out = await r.agent.apply(work(true));
  assert.ok(out.failedKeys.has('firewall'));
  assert.ok(out.failedKeys.has(`port:${P1}`), 'the port is retried');
  assert.ok(!r.reports.some((x) => x.up.includes(P1)), 'not reported up unfiltered');
  assert.ok(r.events.includes('tag'), 'the rest of the wiring still happens');
  fail = false;
  const again = await r.agent.apply({ fullSync: false, keys: new Set(['firewall', `port:${P1}`]), reason: ['retry'] });
  assert.equal(again.failedKeys.size, 0);
  assert.ok(r.reports.some((x) => x.up.includes(P1)), 'reported up once filtered');
});
