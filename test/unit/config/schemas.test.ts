import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import {
  ConfigError,
  CommonSchema,
  DhcpAgentSchema,
  L3AgentSchema,
  LinuxBridgeAgentSchema,
  MetadataAgentSchema,
  OvsAgentSchema,
  loadAgentConfig,
  resolveConfig,
  toRabbitOptions,
  type RabbitConfig,
} from '../../../shared/config/index.js';
import { withTemp } from './tmp.js';

/** neutron.conf as neutron-lab/up.sh writes it (server options included: ignored). */
const NEUTRON_CONF = `# neutron-lab: shared by neutron-server and all agents
[DEFAULT]
debug = True
use_stderr = False
host = labnode
state_path = /var/lib/neutron-lab/state
auth_strategy = noauth
core_plugin = ml2
service_plugins = router
transport_url = rabbit://guest:guest@127.0.0.1:5672/
interface_driver = linuxbridge
[agent]
root_helper = neutron-rootwrap /etc/neutron/rootwrap.conf
report_interval = 30
[database]
connection = mysql+pymysql://neutron_lab:neutronlab@127.0.0.1/neutron_lab?charset=utf8
[oslo_messaging_rabbit]
heartbeat_timeout_threshold = 60
`;

test('Neutron defaults for the options the brief lists (also checked against Python in oslo-interop)', () => {
  const c = resolveConfig(CommonSchema, []);
  assert.equal(c.DEFAULT.host, hostname());
  assert.equal(c.DEFAULT.state_path, '/var/lib/neutron');
  assert.equal(c.DEFAULT.control_exchange, 'neutron');
  assert.equal(c.DEFAULT.rpc_response_timeout, 60);
  assert.equal(c.DEFAULT.rpc_response_max_timeout, 600);
  assert.equal(c.agent.report_interval, 30);
  assert.equal(c.agent.availability_zone, 'nova');
  assert.equal(c.oslo_messaging_rabbit.rabbit_transient_queues_ttl, 1800);
  const lb = resolveConfig(LinuxBridgeAgentSchema, []);
  assert.equal(lb.vxlan.enable_vxlan, true);
  assert.equal(lb.vxlan.vxlan_group, '224.0.0.1');
  assert.equal(lb.agent.polling_interval, 2);
  assert.deepEqual(lb.linux_bridge.physical_interface_mappings, {});
  const ovs = resolveConfig(OvsAgentSchema, []);
  assert.equal(ovs.ovs.integration_bridge, 'br-int');
  assert.equal(ovs.ovs.tunnel_bridge, 'br-tun');
  assert.equal(ovs.ovs.datapath_type, 'system');
  assert.equal(ovs.agent.vxlan_udp_port, 4789);
  const l3 = resolveConfig(L3AgentSchema, []);
  assert.equal(l3.DEFAULT.agent_mode, 'legacy');
  assert.equal(l3.DEFAULT.metadata_port, 9697);
  const dhcp = resolveConfig(DhcpAgentSchema, []);
  assert.equal(dhcp.DEFAULT.dnsmasq_lease_max, 2 ** 24);
  assert.equal(dhcp.DEFAULT.resync_interval, 5);
  assert.equal(dhcp.DEFAULT.dhcp_confs, '/var/lib/neutron/dhcp');
  assert.equal(dhcp.DEFAULT.dhcp_lease_duration, 86400);
  assert.equal(dhcp.DEFAULT.dns_domain, 'openstacklocal');
  const md = resolveConfig(MetadataAgentSchema, []);
  assert.equal(md.DEFAULT.metadata_proxy_socket, '/var/lib/neutron/metadata_proxy');
  assert.equal(md.DEFAULT.metadata_proxy_socket_mode, 'deduce');
  assert.equal(md.DEFAULT.nova_metadata_host, '127.0.0.1');
  assert.equal(md.DEFAULT.nova_metadata_port, 8775);
  assert.equal(md.DEFAULT.nova_metadata_protocol, 'http');
  assert.equal(md.DEFAULT.metadata_workers, null);
});

test('the lab configs load: neutron.conf + linuxbridge_agent.ini and + dhcp_agent.ini', () =>
  withTemp((t) => {
    const neutron = t.write('neutron.conf', NEUTRON_CONF);
    const lbIni = t.write(
      'linuxbridge_agent.ini',
      '[linux_bridge]\nphysical_interface_mappings = physnet1:lab-phys0\n[vxlan]\nenable_vxlan = True\nlocal_ip = 172.31.255.1\nl2_population = False\n[securitygroup]\nenable_security_group = True\nfirewall_driver = iptables\n[agent]\npolling_interval = 2\n',
    );
    const lb = loadAgentConfig(['--config-file', neutron, '--config-file', lbIni], LinuxBridgeAgentSchema).config;
    assert.equal(lb.DEFAULT.host, 'labnode');
    assert.equal(lb.DEFAULT.debug, true);
    assert.equal(lb.agent.root_helper, 'neutron-rootwrap /etc/neutron/rootwrap.conf');
    assert.deepEqual(lb.linux_bridge.physical_interface_mappings, { physnet1: 'lab-phys0' });
    assert.equal(lb.vxlan.local_ip, '172.31.255.1');
    assert.equal(lb.securitygroup.firewall_driver, 'iptables');
    const dhcpIni = t.write('dhcp_agent.ini', '[DEFAULT]\ninterface_driver = linuxbridge\ndhcp_driver = neutron.agent.linux.dhcp.Dnsmasq\nenable_isolated_metadata = True\nforce_metadata = False\n');
    const dhcp = loadAgentConfig(['--config-file', neutron, '--config-file', dhcpIni], DhcpAgentSchema).config;
    assert.equal(dhcp.DEFAULT.dhcp_confs, '/var/lib/neutron-lab/state/dhcp');
    assert.equal(dhcp.DEFAULT.enable_isolated_metadata, true);
    assert.equal(dhcp.DEFAULT.interface_driver, 'linuxbridge');
  }));

test('toRabbitOptions: defaults, deprecated [DEFAULT] locations, misspelt quorum names', () =>
  withTemp((t) => {
    const expected: RabbitConfig = {
      amqpDurableQueues: false,
      amqpAutoDelete: false,
      rabbitHaQueues: false,
      rabbitQuorumQueue: false,
      rabbitQuorumDeliveryLimit: 0,
      rabbitQuorumMaxMemoryLength: 0,
      rabbitQuorumMaxMemoryBytes: 0,
      rabbitTransientQueuesTtl: 1800,
      heartbeatTimeoutThreshold: 60,
      rabbitLoginMethod: 'AMQPLAIN',
      kombuMissingConsumerRetryTimeout: 60,
    };
    assert.deepEqual(toRabbitOptions(resolveConfig(CommonSchema, [])), expected);
    const f = t.write(
      'n.conf',
      '[DEFAULT]\nrabbit_ha_queues = true\namqp_auto_delete = true\nrabbit_login_method = PLAIN\n[oslo_messaging_rabbit]\namqp_durable_queues = true\nrabbit_quorum_queue = true\nrabbit_quorum_delivery_limit = 3\nrabbit_quroum_max_memory_length = 4\nrabbit_quroum_max_memory_bytes = 5\nkombu_reconnect_timeout = 7\n',
    );
    const c = loadAgentConfig(['--config-file', f], CommonSchema).config;
    assert.deepEqual(toRabbitOptions(c), {
      ...expected,
      amqpDurableQueues: true,
      amqpAutoDelete: true,
      rabbitHaQueues: true,
      rabbitQuorumQueue: true,
      rabbitQuorumDeliveryLimit: 3,
      rabbitQuorumMaxMemoryLength: 4,
      rabbitQuorumMaxMemoryBytes: 5,
      rabbitLoginMethod: 'PLAIN',
      kombuMissingConsumerRetryTimeout: 7,
    });
    const g = t.write('g.conf', '[oslo_messaging_rabbit]\nrabbit_login_method = EXTERNAL\n');
    assert.throws(() => toRabbitOptions(loadAgentConfig(['--config-file', g], CommonSchema).config), (e: unknown) => e instanceof ConfigError && /EXTERNAL/.test(e.message));
    const h = t.write('h.conf', '[oslo_messaging_rabbit]\nrabbit_login_method = plain\n');
    assert.throws(() => loadAgentConfig(['--config-file', h], CommonSchema), /not one of: PLAIN, AMQPLAIN, EXTERNAL, RABBIT-CR-DEMO/);
  }));
