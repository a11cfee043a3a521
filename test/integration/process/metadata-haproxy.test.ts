/**
 * The rendered metadata-proxy config with a real haproxy (started by the supervisor
 * as the agents will) inside a throwaway namespace, forwarding to a unix socket
 * served by a small HTTP server standing in for the metadata agent.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { haproxyConfigPath, haproxyPidFile, L3_METADATA_PORT, METADATA_PORT, METADATA_V4_IP, renderHaproxyConfig, type MetadataResource } from '../../../shared/metadata-proxy/haproxy.js';
import { metadataProxySpec } from '../../../shared/metadata-proxy/spec.js';
import { DetachedProcessSupervisor } from '../../../shared/process/supervisor.js';
import type { SupervisedProcessSpec } from '../../../shared/process/types.js';
import { writeFileAtomic } from '../../../shared/reconcile/atomic-file.js';
import { inNetns, isDead, ProcessFixture } from './fixture.js';

const fx = new ProcessFixture();
const netId = randomUUID();
const routerId = randomUUID();
const seen: IncomingHttpHeaders[] = [];
let server: Server | undefined;
let ns = '';
let sup: DetachedProcessSupervisor;
const specs: SupervisedProcessSpec[] = [];

const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);

before(async () => {
  await fx.init();
  ns = await fx.netns('m');
  await execa('ip', ['-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
  // As on a qdhcp port: the subnet address plus 169.254.169.254/32.
  await execa('ip', ['-n', ns, 'addr', 'add', '10.252.0.1/24', 'dev', 'v0']);
  await execa('ip', ['-n', ns, 'addr', 'add', `${METADATA_V4_IP}/32`, 'dev', 'v0']);
  await execa('ip', ['-n', ns, 'link', 'set', 'v0', 'up']);
  await execa('ip', ['-n', ns, 'link', 'set', 'v1', 'up']);
  server = createServer((req, res) => {
    seen.push(req.headers);
    res.end(`i-metadata ${req.url ?? ''}`);
  });
  const sock = join(fx.dir, 'metadata_proxy');
  await new Promise<void>((resolve) => server?.listen(sock, resolve));
  sup = new DetachedProcessSupervisor({ pidDir: join(fx.dir, 'external', 'pids'), stopGraceMs: 2_000 });
});

after(async () => {
  try {
    for (const s of specs) await sup.stop(s.id).catch(() => undefined);
  } finally {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await fx.cleanup([netId, routerId]);
  }
});

async function startProxy(resource: MetadataResource, bindAddress: string, port: number): Promise<{ spec: SupervisedProcessSpec; pid: number }> {
  const confPath = haproxyConfigPath(fx.dir, resource.id);
  const pidFile = haproxyPidFile(join(fx.dir, 'external', 'pids'), resource.id);
  await mkdir(dirname(confPath), { recursive: true });
  await writeFileAtomic(confPath, renderHaproxyConfig({ resource, unixSocketPath: join(fx.dir, 'metadata_proxy'), bindAddress, port, user: 'root', group: 'root', pidFile }));
  const spec = metadataProxySpec({ resource, confPath, pidFile, netns: ns, logFile: join(fx.dir, `haproxy-${resource.id}.log`) });
  specs.push(spec);
  const r = await sup.ensure(spec);
  fx.track(r.pid);
  assert.equal(r.action, 'started');
  return { spec, pid: r.pid };
}

async function curlInNs(url: string, headers: string[]): Promise<string> {
  const r = await execa('ip', ['netns', 'exec', ns, 'curl', '-sS', '--noproxy', '*', '--max-time', '5', ...headers.flatMap((h) => ['-H', h]), url]);
  return r.stdout;
}

test('qdhcp proxy on 169.254.169.254:80: answers from the socket, X-Neutron-Network-ID set and a spoofed one replaced, router header dropped', async () => {
  const { pid } = await startProxy({ kind: 'network', id: netId }, METADATA_V4_IP, METADATA_PORT);
  assert.equal(await inNetns(pid, ns), true);
  seen.length = 0;
  const body = await curlInNs(`http://${METADATA_V4_IP}/latest/meta-data/instance-id`, ['X-Neutron-Network-ID: spoofed', 'X-Neutron-Router-ID: spoofed-too']);
  assert.equal(body, 'i-metadata /latest/meta-data/instance-id');
  assert.equal(seen.length, 1);
  assert.equal(seen[0]?.['x-neutron-network-id'], netId);
  assert.equal(seen[0]?.['x-neutron-router-id'], undefined);
  assert.ok(seen[0]?.['x-forwarded-for'], 'option forwardfor: the metadata agent finds the instance by it');
});

test('qrouter proxy on 0.0.0.0:9697 sets X-Neutron-Router-ID and drops a client network header', async () => {
  await startProxy({ kind: 'router', id: routerId }, '0.0.0.0', L3_METADATA_PORT);
  seen.length = 0;
  const body = await curlInNs(`http://10.252.0.1:${L3_METADATA_PORT}/openstack`, ['X-Neutron-Network-ID: spoofed']);
  assert.equal(body, 'i-metadata /openstack');
  assert.equal(seen[0]?.['x-neutron-router-id'], routerId);
  assert.equal(seen[0]?.['x-neutron-network-id'], undefined);
});

test('after an agent restart both proxies are adopted; stop removes them and their pid files', async () => {
  const sup2 = new DetachedProcessSupervisor({ pidDir: join(fx.dir, 'external', 'pids'), stopGraceMs: 2_000 });
  for (const s of specs) {
    const before = await sup.pidOf(s.id);
    assert.deepEqual(await sup2.ensure(s), { pid: before, action: 'adopted' });
  }
  for (const s of specs) {
    const pid = await sup2.pidOf(s.id);
    assert.ok(pid !== undefined);
    await sup2.stop(s.id);
    assert.equal(await isDead(pid), true, s.id);
    assert.equal(await exists(s.pidFile as string), false, s.id);
  }
  await assert.rejects(curlInNs(`http://${METADATA_V4_IP}/`, []), 'nothing listens any more');
});
