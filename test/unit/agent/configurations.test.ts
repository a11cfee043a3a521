/**
 * The configurations each daemon reports must equal what the Python agent reported
 * in the recorded lab traffic, given the lab's config (neutron-lab/up.sh).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { dhcpConfigurations, l3Configurations, linuxBridgeConfigurations, metadataConfigurations, ovsConfigurations } from '../../../shared/agent/configurations.js';

const SAMPLES = join(process.cwd(), '..', 'shared', 'neutron-lab', 'wire-samples');

function recorded(agent: string): Record<string, unknown> | undefined {
  const f = join(SAMPLES, `neutron__q-reports-plugin__report_state.${agent}.json`);
  if (!existsSync(f)) return undefined;
  const sample = JSON.parse(readFileSync(f, 'utf8')) as { request: { args: { agent_state: { agent_state: { configurations: Record<string, unknown> } } } } };
  return sample.request.args.agent_state.agent_state.configurations;
}

function check(t: { skip(msg: string): void }, agent: string, ours: Record<string, unknown>): void {
  const theirs = recorded(agent);
  if (!theirs) { t.skip(`no recorded sample for ${agent} beside the checkout (../shared/neutron-lab/wire-samples)`); return; }
  assert.deepEqual(Object.keys(ours), Object.keys(theirs), 'same keys in the same order');
  assert.deepEqual(ours, theirs);
}

test('linuxbridge configurations equal the recorded Python agent', (t) => {
  check(t, 'linuxbridge-agent', linuxBridgeConfigurations({
    bridgeMappings: {}, interfaceMappings: { physnet1: 'lab-phys0' }, vxlan: { localIp: '172.31.255.1', l2Population: false }, extensions: [], devices: 54,
  }));
});

test('linuxbridge without VXLAN reports no tunnel keys', () => {
  const c = linuxBridgeConfigurations({ bridgeMappings: { physnet2: 'br-x' }, interfaceMappings: {}, extensions: [], devices: 0 });
  assert.deepEqual(Object.keys(c), ['extensions', 'bridge_mappings', 'interface_mappings', 'devices']);
});

test('openvswitch configurations equal the recorded Python agent', (t) => {
  check(t, 'openvswitch-agent', ovsConfigurations({
    bridgeMappings: { physnet1: 'br-ex' }, integrationBridge: 'br-int', tunnelTypes: ['vxlan'], localIp: '172.31.255.2', l2Population: false, arpResponder: false,
    enableDistributedRouting: false, logAgentHeartbeats: false, extensions: [], datapathType: 'netdev',
    capabilities: { datapath_types: ['netdev', 'system'], iface_types: ['afxdp', 'afxdp-nonpmd', 'bareudp', 'erspan', 'geneve', 'gre', 'gtpu', 'internal', 'ip6erspan', 'ip6gre', 'lisp', 'patch', 'stt', 'system', 'tap', 'vxlan'] },
    vhostuserSocketDir: '/var/run/openvswitch', ovsHybridPlug: false, baremetalSmartnic: false, defaultHypervisor: 'vm', resourceProviderHypervisors: {}, devices: 0,
  }));
});

test('dhcp configurations equal the recorded Python agent', (t) => {
  check(t, 'dhcp-agent', dhcpConfigurations({ dhcpDriver: 'neutron.agent.linux.dhcp.Dnsmasq', dhcpLeaseDuration: 86400, logAgentHeartbeats: false, networks: 0, subnets: 0, ports: 0 }));
});

test('l3 configurations equal the recorded Python agent', (t) => {
  check(t, 'l3-agent', l3Configurations({ agentMode: 'legacy', handleInternalOnlyRouters: true, interfaceDriver: 'linuxbridge', logAgentHeartbeats: false, extensions: [], routers: 0, exGwPorts: 0, interfaces: 0, floatingIps: 0 }));
});

test('metadata configurations equal the recorded Python agent', (t) => {
  check(t, 'metadata-agent', metadataConfigurations({ metadataProxySocket: '/var/lib/neutron-lab/state/metadata_proxy', novaMetadataHost: '127.0.0.1', novaMetadataPort: 8775, logAgentHeartbeats: false }));
});
