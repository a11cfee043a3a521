/**
 * The rendered metadata-proxy config against Neutron's own HaproxyConfigurator
 * (run with Debian's /usr/bin/python3, which has the neutron package), same inputs.
 * The only thing normalised is the temp state_path in the config file's location.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { haproxyArgv, haproxyConfigPath, haproxyPidFile, L3_METADATA_PORT, METADATA_PORT, METADATA_V4_IP, renderHaproxyConfig, type HaproxyConfigInput } from '../../../shared/metadata-proxy/haproxy.js';
import { metadataProxySpec } from '../../../shared/metadata-proxy/spec.js';
import { lookupAccountName, resolveUserGroup } from '../../../shared/metadata-proxy/user-group.js';

const PY = '/usr/bin/python3';
const NEUTRON_RENDER = `
import json, sys
from oslo_config import cfg
from oslo_log import log as logging
logging.register_options(cfg.CONF)
cfg.CONF([], project='neutron')
from neutron.agent.metadata import driver
out = []
for c in json.loads(sys.argv[1]):
    cfg.CONF.set_override('debug', c['debug'])
    h = driver.HaproxyConfigurator(c['network_id'], c['router_id'], c['socket'], c['host'], c['port'],
                                   c['user'], c['group'], c['state_path'], c['pid_file'], c.get('host_v6'), c.get('bind_interface'))
    h.create_config_file()
    out.append({'path': h.cfg_path, 'text': open(h.cfg_path).read()})
print(json.dumps(out))
`;

interface Case {
  name: string;
  input: HaproxyConfigInput;
  /** What Python gets for user/group (ids, as the agents' defaults are euid/egid). */
  pyUser: string;
  pyGroup: string;
}

const netId = '3b1c2d4e-0000-4000-8000-000000000001';
const routerId = 'c0ffee00-1234-4abc-9def-0123456789ab';
let state = '';
before(async () => {
  state = await mkdtemp(join(tmpdir(), 'ntp-haproxy-'));
});
after(async () => {
  await rm(state, { recursive: true, force: true });
});

function cases(): Case[] {
  const pids = join(state, 'external', 'pids');
  const sock = '/var/lib/neutron/metadata_proxy';
  return [
    {
      name: 'qdhcp network proxy on 169.254.169.254:80',
      input: { resource: { kind: 'network', id: netId }, unixSocketPath: sock, bindAddress: METADATA_V4_IP, port: METADATA_PORT, user: 'root', group: 'root', pidFile: haproxyPidFile(pids, netId) },
      pyUser: '0',
      pyGroup: '0',
    },
    {
      name: 'qrouter router proxy on 0.0.0.0:9697, debug',
      input: { resource: { kind: 'router', id: routerId }, unixSocketPath: sock, bindAddress: '0.0.0.0', port: L3_METADATA_PORT, user: 'nobody', group: 'nogroup', pidFile: haproxyPidFile(pids, routerId), logLevel: 'debug' },
      pyUser: 'nobody',
      pyGroup: 'nogroup',
    },
    {
      name: 'qrouter on :: (IPv6-enabled host)',
      input: { resource: { kind: 'router', id: routerId }, unixSocketPath: sock, bindAddress: '::', port: L3_METADATA_PORT, user: 'root', group: 'root', pidFile: haproxyPidFile(pids, routerId) },
      pyUser: 'root',
      pyGroup: '0',
    },
    {
      name: 'qdhcp with the IPv6 bind line',
      input: { resource: { kind: 'network', id: netId }, unixSocketPath: sock, bindAddress: METADATA_V4_IP, port: METADATA_PORT, user: 'root', group: 'root', pidFile: haproxyPidFile(pids, netId), bindV6: { address: 'fe80::a9fe:a9fe', interface: 'ns-1234567890a' } },
      pyUser: '0',
      pyGroup: '0',
    },
  ];
}

test('config text and file location are exactly what Neutron renders for the same inputs', async () => {
  const cs = cases();
  const py = cs.map((c) => ({
    network_id: c.input.resource.kind === 'network' ? c.input.resource.id : null,
    router_id: c.input.resource.kind === 'router' ? c.input.resource.id : null,
    socket: c.input.unixSocketPath,
    host: c.input.bindAddress,
    port: c.input.port,
    user: c.pyUser,
    group: c.pyGroup,
    state_path: state,
    pid_file: c.input.pidFile,
    debug: c.input.logLevel === 'debug',
    host_v6: c.input.bindV6?.address ?? null,
    bind_interface: c.input.bindV6?.interface ?? null,
  }));
  const r = await execa(PY, ['-c', NEUTRON_RENDER, JSON.stringify(py)]);
  const neutron = JSON.parse(r.stdout) as Array<{ path: string; text: string }>;
  for (const [i, c] of cs.entries()) {
    const n = neutron[i];
    assert.ok(n, c.name);
    const ids = await resolveUserGroup(c.pyUser, c.pyGroup);
    assert.deepEqual(ids, { user: c.input.user, group: c.input.group }, `${c.name}: uid/gid resolved as Neutron does`);
    assert.equal(renderHaproxyConfig(c.input), n.text, c.name);
    assert.equal(relative(state, haproxyConfigPath(state, c.input.resource.id)), relative(state, n.path), c.name);
  }
});

test('argv, pid file and process spec follow Neutron ProcessManager', () => {
  const conf = haproxyConfigPath('/var/lib/neutron', netId);
  assert.equal(conf, `/var/lib/neutron/ns-metadata-proxy/${netId}.conf`);
  assert.deepEqual(haproxyArgv(conf), ['haproxy', '-f', conf]);
  assert.equal(haproxyPidFile('/var/lib/neutron/external/pids', netId), `/var/lib/neutron/external/pids/${netId}.pid.haproxy`);
  const spec = metadataProxySpec({ resource: { kind: 'network', id: netId }, confPath: conf, pidFile: '/p/x.pid.haproxy', netns: `qdhcp-${netId}` });
  assert.deepEqual(spec, { id: `haproxy:${netId}`, argv: ['haproxy', '-f', conf], netns: `qdhcp-${netId}`, pidFile: '/p/x.pid.haproxy', marker: netId, daemonizes: true });
});

test('inputs that could break out of a config line are refused', () => {
  const base: HaproxyConfigInput = { resource: { kind: 'network', id: netId }, unixSocketPath: '/s', bindAddress: METADATA_V4_IP, port: 80, user: 'root', group: 'root', pidFile: '/p' };
  assert.throws(() => renderHaproxyConfig({ ...base, resource: { kind: 'network', id: `${netId}\n    bind 0.0.0.0:1` } }), /uuid/);
  assert.throws(() => renderHaproxyConfig({ ...base, unixSocketPath: '/s x' }), /unix socket path/);
  assert.throws(() => renderHaproxyConfig({ ...base, unixSocketPath: 'relative' }), /absolute/);
  assert.throws(() => renderHaproxyConfig({ ...base, pidFile: '/p#c' }), /pid file/);
  assert.throws(() => renderHaproxyConfig({ ...base, bindAddress: '169.254.169.254 ssl' }), /ip/);
  assert.throws(() => renderHaproxyConfig({ ...base, port: 0 }), /port/);
  assert.throws(() => renderHaproxyConfig({ ...base, user: 'ro ot' }), /user/);
  assert.throws(() => renderHaproxyConfig({ ...base, bindV6: { address: '10.0.0.1', interface: 'ns-1' } }), /IPv6/);
  assert.throws(() => haproxyConfigPath('/s', '../etc'), /uuid/);
});

test('uid/gid lookup: id first, then name; unknown refused', async () => {
  const passwd = 'root:x:0:0:root:/root:/bin/bash\n# c\n1000:x:1001:1001::/:/bin/sh\nneutron:x:1000:1000::/:/bin/false\n';
  assert.equal(lookupAccountName(passwd, '0'), 'root');
  assert.equal(lookupAccountName(passwd, '1000'), 'neutron', 'as an id before as a name');
  assert.equal(lookupAccountName(passwd, 'neutron'), 'neutron');
  assert.equal(lookupAccountName(passwd, '4242'), undefined);
  await assert.rejects(resolveUserGroup('no-such-user-x', '0'), /Invalid user\/uid/);
});
