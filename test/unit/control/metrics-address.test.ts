import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DhcpAgentSchema, loadAgentConfig, mergeSchemas, NucleonSchema } from '../../../shared/config/index.js';
import { parseListenAddress } from '../../../shared/config/schemas/nucleon.js';
import { controlSocketPath } from '../../../shared/control/socket-path.js';
import { ConfigDir } from '../../harness/daemons.js';

const conf = new ConfigDir();
after(() => conf.remove());
const schema = mergeSchemas(DhcpAgentSchema, NucleonSchema);

test('parseListenAddress takes host:port, [v6]:port and host names; refuses the rest', () => {
  assert.deepEqual(parseListenAddress('127.0.0.1:9110'), { host: '127.0.0.1', port: 9110 });
  assert.deepEqual(parseListenAddress('[::1]:9110'), { host: '::1', port: 9110 });
  assert.deepEqual(parseListenAddress('node-1.example:9110'), { host: 'node-1.example', port: 9110 });
  for (const bad of ['9110', '127.0.0.1', '::1:9110', '[::1]', '1.2.3.4:70000', 'a b:1', '[nope]:1']) assert.throws(() => parseListenAddress(bad), bad);
});

test('[nucleon] metrics_address is unset by default and validated when set', () => {
  const none = conf.write('none.conf', { DEFAULT: { host: 'h' } });
  const c = loadAgentConfig(['--config-file', none], schema, undefined, { defaults: { project: 'neutron', prog: 'x' } }).config;
  assert.equal(c.nucleon.metrics_address, null);
  assert.equal(c.nucleon.control_socket, null);
  const good = conf.write('good.conf', { nucleon: { metrics_address: '127.0.0.1:9110' } });
  assert.equal(loadAgentConfig(['--config-file', good], schema, undefined, { defaults: { project: 'neutron', prog: 'x' } }).config.nucleon.metrics_address, '127.0.0.1:9110');
  const bad = conf.write('bad.conf', { nucleon: { metrics_address: 'localhost' } });
  assert.throws(() => loadAgentConfig(['--config-file', bad], schema, undefined, { defaults: { project: 'neutron', prog: 'x' } }), (e: unknown) => e instanceof ConfigError && /\[nucleon\] metrics_address = "localhost"/.test(e.message));
});

test('the default control socket is $state_path/nucleon/<kind>.sock; control_socket overrides it', () => {
  assert.equal(controlSocketPath('dhcp'), '/var/lib/neutron/nucleon/dhcp.sock');
  assert.equal(controlSocketPath('l3', '/srv/neutron'), '/srv/neutron/nucleon/l3.sock');
  assert.equal(controlSocketPath('l3', '/srv/neutron', '/run/l3.sock'), '/run/l3.sock');
});
