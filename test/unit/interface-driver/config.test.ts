/**
 * Choosing and configuring the driver: `[DEFAULT] interface_driver` as Neutron's
 * load_interface_driver accepts it (alias or class path), the [ovs] options the DHCP
 * and L3 agents read, and names validated before they reach a command.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DhcpAgentSchema, L3AgentSchema, loadAgentConfig, resolveConfig } from '../../../shared/config/index.js';
import {
  createInterfaceDriver, LINUXBRIDGE_DRIVER, OvsInterfaceDriver, parseInterfaceDriver, UnsupportedInterfaceDriverError,
} from '../../../shared/drivers/interface-driver/index.js';
import { InvalidNameError } from '../../../shared/exec/names.js';
import { planSteps } from '../../../shared/reconcile/plan.js';
import { withTemp } from '../config/tmp.js';
import { TableRunner, link, ovsDriver, port } from './fixtures.js';

test('parseInterfaceDriver: aliases and class paths; none or another driver refused with a typed error', () => {
  assert.equal(parseInterfaceDriver('linuxbridge'), 'linuxbridge');
  assert.equal(parseInterfaceDriver('neutron.agent.linux.interface.BridgeInterfaceDriver'), 'linuxbridge');
  assert.equal(parseInterfaceDriver('openvswitch'), 'openvswitch');
  assert.equal(parseInterfaceDriver(' neutron.agent.linux.interface.OVSInterfaceDriver '), 'openvswitch');
  for (const v of [undefined, null, '', 'null', 'neutron.agent.linux.interface.NullDriver', 'OpenVSwitch']) {
    assert.throws(() => parseInterfaceDriver(v), (e: unknown) => e instanceof UnsupportedInterfaceDriverError && e.value === v, String(v));
  }
  assert.throws(() => parseInterfaceDriver(undefined), /An interface driver must be specified/);
});

test('createInterfaceDriver: linuxbridge is the shared stateless driver; openvswitch gets --db/--timeout for its executor', () => {
  const ovs = { integrationBridge: 'br-int', ovsdbConnection: 'tcp:127.0.0.1:6640', ovsdbTimeoutSec: 7, datapathType: 'netdev', owner: { agent: 'dhcp', host: 'h' }, ipv6: true };
  assert.equal(createInterfaceDriver('linuxbridge', { runner: new TableRunner(), ovs }), LINUXBRIDGE_DRIVER);
  const d = createInterfaceDriver('openvswitch', { runner: new TableRunner(), ovs });
  assert.ok(d instanceof OvsInterfaceDriver);
  assert.deepEqual(d.executorOptions, { ovsVsctlArgs: ['--db=tcp:127.0.0.1:6640', '--timeout=7'] });
});

test('OvsInterfaceDriver refuses a bridge name or an OVSDB connection that could reach a command line unchecked', () => {
  const base = { runner: new TableRunner(), ovsdbConnection: 'unix:/run/openvswitch/db.sock', ovsdbTimeoutSec: 10, datapathType: 'system', owner: { agent: 'dhcp', host: 'h' } };
  for (const bad of ['', 'br int', 'br-int-is-far-too-long', 'br"x']) assert.throws(() => new OvsInterfaceDriver({ ...base, integrationBridge: bad }), InvalidNameError, bad);
  for (const bad of ['', '/run/db.sock', 'tcp:', 'unix:/a b', '--db=x']) assert.throws(() => new OvsInterfaceDriver({ ...base, integrationBridge: 'br-int', ovsdbConnection: bad }), /ovsdb_connection/, bad);
});

test('a port name that is no interface name never becomes a command: the op is rejected before rendering', () => {
  const plan = ovsDriver().plug(port({ tap: 'tap with space' }), { inner: undefined, outer: undefined }, undefined);
  const { invalid } = planSteps(plan.ops);
  assert.ok(invalid.length > 0);
  assert.ok(invalid.every((i) => i.error instanceof InvalidNameError));
  assert.throws(() => ovsDriver().plug(port({ device: 'ns-x:y' }), { inner: link('ns-x:y'), outer: link('tapc0ffee00-12') }, { bridge: 'br-int', exists: true, datapathType: 'netdev', interfaces: new Map() }), InvalidNameError);
});

test('[ovs] for the DHCP and L3 agents: Neutron defaults, values from dhcp_agent.ini / l3_agent.ini', async () => {
  for (const schema of [DhcpAgentSchema, L3AgentSchema]) {
    const c = resolveConfig(schema, []);
    assert.equal(c.ovs.integration_bridge, 'br-int');
    assert.equal(c.ovs.ovsdb_connection, 'tcp:127.0.0.1:6640');
    assert.equal(c.ovs.ovsdb_timeout, 10);
    assert.equal(c.ovs.datapath_type, 'system');
    assert.equal(c.DEFAULT.ovs_use_veth, false);
  }
  await withTemp((t) => {
    const ini = t.write('dhcp_agent.ini', '[DEFAULT]\ninterface_driver = openvswitch\novs_use_veth = True\n[ovs]\nintegration_bridge = br-x\novsdb_connection = unix:/run/openvswitch/db.sock\ndatapath_type = netdev\n');
    const c = loadAgentConfig(['--config-file', ini], DhcpAgentSchema).config;
    assert.equal(c.DEFAULT.interface_driver, 'openvswitch');
    assert.equal(c.DEFAULT.ovs_use_veth, true);
    assert.equal(c.ovs.integration_bridge, 'br-x');
    assert.equal(c.ovs.ovsdb_connection, 'unix:/run/openvswitch/db.sock');
    assert.equal(c.ovs.datapath_type, 'netdev');
    // oslo's deprecated name inside [ovs], as Neutron declares it.
    const old = t.write('l3_agent.ini', '[ovs]\novs_integration_bridge = br-old\n');
    assert.equal(loadAgentConfig(['--config-file', old], L3AgentSchema).config.ovs.integration_bridge, 'br-old');
  });
});
