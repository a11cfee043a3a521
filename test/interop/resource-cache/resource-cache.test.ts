/**
 * The resource cache against the real neutron-server and RabbitMQ: a cache for a
 * per-run host (with a registered stand-in OVS agent, so ML2's openvswitch driver
 * binds ports there) sees a new port by push, answers get_device_details and
 * security_group_info_for_devices as the server does for the same port, follows a
 * rule added through the API, and reports the port's deletion.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { pino } from 'pino';
import { ensureNeutronServer, deleteAgents, listAgents, neutronApi, transportToAmqpUrl, waitFor, type NeutronServer } from '../../harness/neutron.js';
import { testName } from '../../harness/names.js';
import { OsloConnection, OsloRpcClient, OsloRpcServer } from '../../../shared/rpc/index.js';
import { AgentStateReporter } from '../../../shared/agent/state-reporter.js';
import { AGENT_KINDS, LOCAL_RESOURCE_VERSIONS } from '../../../shared/agent/constants.js';
import { ovsConfigurations } from '../../../shared/agent/configurations.js';
import { RemoteResourceCache, deviceDetailsFromCache, isDeviceDetails, securityGroupInfoFromCache, SERVER_DETAIL_KEYS, type ResourceChange, type RpcCaller } from '../../../shared/resource-cache/index.js';
import { parseSgInfo } from '../../../shared/firewall/validate.js';

const PROJECT = 'nucleon-test';
const host = testName('rc');
const logger = pino({ level: 'warn' }, process.stderr);
let server: NeutronServer;
let conn: OsloConnection;
let reporter: AgentStateReporter | undefined;
let cache: RemoteResourceCache | undefined;
let plugin: OsloRpcClient;
const pushServers: OsloRpcServer[] = [];
const calls: Array<{ method: string; args: Record<string, unknown> }> = [];
const events: ResourceChange[] = [];
const created: Array<{ kind: 'networks' | 'ports' | 'security-groups'; id: string }> = [];
let sg = '';
let net = '';
let portId = '';

type Obj = Record<string, unknown>;
const canon = (rules: unknown[]): string[] => rules.map((r) => JSON.stringify(Object.fromEntries(Object.entries(r as Obj).sort()))).sort();

before(async () => {
  server = await ensureNeutronServer();
  conn = new OsloConnection({ transportUrl: server.transportUrl, logger, connectionName: 'resource-cache-interop' });
  conn.start();
  await conn.waitConnected(30_000);
  // A stand-in OVS agent on our host: ML2 binds ports only to hosts with an alive agent.
  const meta = AGENT_KINDS.ovs;
  reporter = new AgentStateReporter({
    transport: new OsloRpcClient(conn, { topic: 'q-reports-plugin', version: '1.2', logger }),
    intervalMs: 5000,
    resourceVersions: LOCAL_RESOURCE_VERSIONS,
    logger,
    state: () => ({
      binary: meta.binary,
      host,
      topic: meta.topic,
      agent_type: meta.agentType,
      configurations: ovsConfigurations({
        bridgeMappings: {},
        integrationBridge: 'br-int',
        tunnelTypes: ['vxlan'],
        localIp: '172.31.246.1',
        l2Population: false,
        arpResponder: false,
        enableDistributedRouting: false,
        logAgentHeartbeats: false,
        extensions: [],
        datapathType: 'system',
        capabilities: { datapath_types: ['netdev', 'system'], iface_types: ['internal', 'vxlan'] },
        vhostuserSocketDir: '/var/run/openvswitch',
        ovsHybridPlug: false,
        baremetalSmartnic: false,
        defaultHypervisor: host,
        resourceProviderHypervisors: {},
        devices: 0,
      }),
    }),
  });
  reporter.start();
  await waitFor(async () => (await listAgents({ host })).some((a) => a.alive), { timeoutMs: 30_000, description: 'stand-in OVS agent alive' });

  plugin = new OsloRpcClient(conn, { topic: 'q-plugin', logger });
  const recording: RpcCaller = {
    call: <T>(method: string, args: Record<string, unknown>, opts?: { version?: string; timeoutMs?: number }): Promise<T> => {
      calls.push({ method, args });
      return plugin.call<T>(method, args, opts ?? {});
    },
  };
  cache = new RemoteResourceCache({
    connection: conn,
    client: recording,
    host,
    logger,
    makePushServer: (topic, endpoint) => {
      const s = new OsloRpcServer(conn, { topic, server: host, endpoints: [endpoint], logger });
      pushServers.push(s);
      return s;
    },
  });
  cache.on('changed', (e) => events.push(e));
  await cache.start();
});

after(async () => {
  await cache?.stop();
  reporter?.stop();
  for (const c of created.reverse()) await neutronApi(`/${c.kind}/${c.id}`, 'DELETE').catch(() => undefined);
  await deleteAgents({ host }).catch(() => undefined);
  // Our per-host and fanout queues; `<topic>` itself is shared with every agent.
  const ac = await amqp.connect(transportToAmqpUrl(server.transportUrl));
  try {
    const ch = await ac.createChannel();
    for (const s of pushServers) for (const q of s.queues) if (q !== s.topic) await ch.deleteQueue(q);
    await ch.close();
  } finally {
    await ac.close();
  }
  await conn?.close();
});

test('start: the cache follows the six resource topics on this host', () => {
  assert.deepEqual(pushServers.map((s) => s.topic).sort(), [
    'neutron-vo-AddressGroup-1.2',
    'neutron-vo-Network-1.1',
    'neutron-vo-Port-1.7',
    'neutron-vo-SecurityGroup-1.5',
    'neutron-vo-SecurityGroupRule-1.2',
    'neutron-vo-Subnet-1.1',
  ]);
  assert.ok(pushServers.every((s) => s.queues.includes(`${s.topic}.${host}`)));
  assert.ok(calls.some((c) => c.method === 'get_ports_by_vnic_type_and_host' && c.args['host'] === host));
});

test('a port bound to this host arrives by push; its details equal the server\'s get_devices_details_list answer', async () => {
  const c = cache!;
  const g = await neutronApi<{ security_group: { id: string } }>('/security-groups', 'POST', { security_group: { name: testName('rcsg'), project_id: PROJECT } });
  sg = g.security_group.id;
  created.push({ kind: 'security-groups', id: sg });
  const n = await neutronApi<{ network: { id: string } }>('/networks', 'POST', { network: { name: testName('rcnet'), project_id: PROJECT } });
  net = n.network.id;
  created.push({ kind: 'networks', id: net });
  await neutronApi('/subnets', 'POST', { subnet: { network_id: net, ip_version: 4, cidr: '10.82.0.0/24', enable_dhcp: false, project_id: PROJECT } });
  const before = calls.length;
  const p = await neutronApi<{ port: { id: string; 'binding:vif_type': string } }>('/ports', 'POST', {
    port: { network_id: net, project_id: PROJECT, 'binding:host_id': host, device_owner: 'compute:nova', device_id: randomUUID(), security_groups: [sg], fixed_ips: [{ ip_address: '10.82.0.11' }] },
  });
  portId = p.port.id;
  created.push({ kind: 'ports', id: portId });
  assert.equal(p.port['binding:vif_type'], 'ovs', 'ML2 bound the port to the stand-in OVS agent');

  const port = await waitFor(() => {
    const r = c.getPort(portId);
    return r && r.bindingLevels.length > 0 ? r : undefined;
  }, { timeoutMs: 20_000, description: 'bound port in the cache' });
  assert.ok(
    !calls.slice(before).some((x) => x.method === 'bulk_pull' && x.args['resource_type'] === 'Port' && JSON.stringify(x.args['filter_kwargs']).includes(portId)),
    'the port came by push, not by a pull',
  );
  assert.ok(events.some((e) => e.resourceType === 'Port' && e.id === portId && e.event === 'created'));
  assert.equal(port.bindings.find((b) => b.host === host)?.vifType, 'ovs');
  // The background closure fetched its network and group.
  await waitFor(() => c.getNetwork(net) && c.hasRulesOf(sg), { timeoutMs: 20_000, description: 'network and group rules pulled' });

  const serverAnswer = await plugin.call<Obj[]>('get_devices_details_list', { devices: [portId], agent_id: `ovs-agent-${host}`, host }, { version: '1.9' });
  const theirs = serverAnswer[0]!;
  const ours = deviceDetailsFromCache(c, portId, portId, host);
  assert.ok(isDeviceDetails(ours), JSON.stringify(ours));
  for (const k of SERVER_DETAIL_KEYS) assert.deepEqual((ours as unknown as Obj)[k], theirs[k], k);
  assert.equal(ours.network_type, 'vxlan');
  assert.deepEqual(deviceDetailsFromCache(c, portId, portId, 'some-other-host'), { device: portId, no_active_binding: true });
});

test('sg-info follows a rule added through the API and matches the server\'s security_group_info_for_devices', async () => {
  const c = cache!;
  assert.ok(portId, 'needs the port of the previous test');
  const initial = securityGroupInfoFromCache(c, [portId]);
  assert.ok(!(initial.security_groups[sg] ?? []).some((r) => r.port_range_min === 22));
  await neutronApi('/security-group-rules', 'POST', { security_group_rule: { security_group_id: sg, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.9.1.0/16', project_id: PROJECT } });
  await neutronApi('/security-group-rules', 'POST', { security_group_rule: { security_group_id: sg, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', remote_group_id: sg, project_id: PROJECT } });
  const info = await waitFor(() => {
    const i = securityGroupInfoFromCache(c, [portId]);
    const rules = i.security_groups[sg] ?? [];
    return rules.some((r) => r.port_range_min === 22) && rules.some((r) => r.remote_group_id === sg) && i.sg_member_ips[sg] ? i : undefined;
  }, { timeoutMs: 20_000, description: 'both new rules and the group members in the cache' });
  assert.ok(info.security_groups[sg]!.some((r) => r.source_ip_prefix === '10.9.0.0/16'), 'normalized prefix');
  assert.deepEqual(info.sg_member_ips[sg], { IPv4: [['10.82.0.11', c.getPort(portId)!.macAddress]] });
  assert.deepEqual(parseSgInfo(info).problems, []);

  const theirs = await plugin.call<{ devices: Record<string, Obj>; security_groups: Record<string, unknown[]>; sg_member_ips: Record<string, Record<string, Array<[string, unknown]>>> }>(
    'security_group_info_for_devices',
    // Without call_version the server answers the pre-1.3 shape (member IPs without MACs).
    { devices: [portId], call_version: '1.3' },
    { version: '1.3' },
  );
  assert.deepEqual(Object.keys(theirs.security_groups), Object.keys(info.security_groups));
  // The server's SQL path sends the prefix as typed; the OVO (and so the Python
  // cache-backed agent, and we) the normalized one.
  const normalized = theirs.security_groups[sg]!.map((r) => {
    const rule = { ...(r as Obj) };
    if (rule['source_ip_prefix'] === '10.9.1.0/16') rule['source_ip_prefix'] = '10.9.0.0/16';
    return rule;
  });
  assert.deepEqual(canon(info.security_groups[sg]!), canon(normalized));
  const td = theirs.devices[portId]!;
  const od = info.devices[portId]! as unknown as Obj;
  for (const k of ['mac_address', 'network_id', 'device_owner', 'fixed_ips', 'allowed_address_pairs', 'security_groups', 'port_security_enabled', 'security_group_source_groups']) {
    assert.deepEqual(od[k], td[k], k);
  }
  assert.deepEqual(canon(od['security_group_rules'] as unknown[]), canon(td['security_group_rules'] as unknown[]));
  assert.deepEqual(info.sg_member_ips[sg]!.IPv4!.map(([ip]) => ip), theirs.sg_member_ips[sg]!['IPv4']!.map(([ip]) => ip));
});

test('a port deleted through the API is a deleted event', async () => {
  const c = cache!;
  assert.ok(portId, 'needs the port of the first test');
  await neutronApi(`/ports/${portId}`, 'DELETE');
  await waitFor(() => events.some((e) => e.resourceType === 'Port' && e.id === portId && e.event === 'deleted'), { timeoutMs: 20_000, description: 'deleted event' });
  assert.equal(c.getPort(portId), undefined);
  assert.deepEqual(deviceDetailsFromCache(c, portId, portId, host), { device: portId });
});

test('refresh drops a port whose deletion was pushed while the Port consumer was down', async () => {
  const servers2: OsloRpcServer[] = [];
  const events2: ResourceChange[] = [];
  const cache2 = new RemoteResourceCache({
    connection: conn,
    client: plugin,
    host,
    logger,
    makePushServer: (topic, endpoint) => {
      const s = new OsloRpcServer(conn, { topic, server: host, endpoints: [endpoint], logger });
      servers2.push(s);
      pushServers.push(s); // queues removed in after()
      return s;
    },
  });
  cache2.on('changed', (e) => events2.push(e));
  try {
    await cache2.start();
    const p = await neutronApi<{ port: { id: string } }>('/ports', 'POST', {
      port: { network_id: net, project_id: PROJECT, 'binding:host_id': host, device_owner: 'compute:nova', device_id: randomUUID(), security_groups: [sg] },
    });
    created.push({ kind: 'ports', id: p.port.id });
    await waitFor(() => cache2.getPort(p.port.id), { timeoutMs: 20_000, description: 'second port pushed' });
    await servers2.find((s) => s.topic === 'neutron-vo-Port-1.7')!.stop();
    await neutronApi(`/ports/${p.port.id}`, 'DELETE');
    // The first cache hears it; the second, deaf on Port, does not.
    await waitFor(() => events.some((e) => e.id === p.port.id && e.event === 'deleted'), { timeoutMs: 20_000, description: 'deletion pushed' });
    assert.ok(cache2.getPort(p.port.id), 'the push was lost for the second cache');
    await cache2.refresh();
    assert.equal(cache2.getPort(p.port.id), undefined);
    assert.ok(events2.some((e) => e.resourceType === 'Port' && e.id === p.port.id && e.event === 'deleted'));
    assert.ok(cache2.getNetwork(net), 'what still exists stays');
  } finally {
    await cache2.stop();
  }
});
