/** The cache layer: Redis down/up logged once each way, requests bypass it meanwhile; memory TTL; [cache] → plan. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResilientCache } from '../../../agents/metadata/cache/resilient.js';
import { MemoryStore } from '../../../agents/metadata/cache/store.js';
import { planCache } from '../../../agents/metadata/cache/plan.js';
import { ConfigError } from '../../../shared/config/index.js';
import { captureLogs, SwitchableStore } from './fakes.js';

const DOWN = 'metadata cache unreachable: serving without it (every lookup asks neutron-server)';
const UP = 'metadata cache reachable again';

test('store goes down: bypass without touching it, one warning; back up: one info, hits again', async () => {
  const logs = captureLogs();
  const store = new SwitchableStore();
  const cache = new ResilientCache(store, 1000, logs.logger, 'redis://x');
  await cache.set('k', 'v');
  assert.equal(await cache.get('k'), 'v');
  store.setUp(false);
  const gets = store.gets;
  for (let i = 0; i < 10; i++) assert.equal(await cache.get('k'), undefined);
  await cache.set('k2', 'v2');
  assert.equal(store.gets, gets, 'an unavailable store is not asked');
  assert.equal(cache.counters.bypassed, 10);
  assert.equal(cache.state(), 'down');
  store.setUp(true);
  assert.equal(await cache.get('k'), 'v');
  assert.equal(logs.count(DOWN), 1);
  assert.equal(logs.count(UP), 1);
  assert.equal(cache.state(), 'up');
});

test('a failing command on a connection that looks up: down once, one probe per interval, up when a probe works', async () => {
  const logs = captureLogs();
  const store = new SwitchableStore();
  let now = 0;
  const cache = new ResilientCache(store, 1000, logs.logger, 'redis', 1000, () => now);
  store.failCommands = true;
  assert.equal(await cache.get('k'), undefined);
  assert.equal(cache.counters.errors, 1);
  const gets = store.gets;
  now = 500;
  await cache.get('k');
  assert.equal(store.gets, gets, 'no probe before the interval');
  now = 1600;
  await cache.get('k');
  assert.equal(store.gets, gets + 1, 'one probe');
  store.failCommands = false;
  now = 2700;
  await cache.get('k');
  assert.equal(cache.state(), 'up');
  assert.equal(logs.count(DOWN), 1);
  assert.equal(logs.count(UP), 1);
});

test('MemoryStore: entries expire after their TTL; ttl <= 0 never; the oldest go first when full', async () => {
  let now = 0;
  const m = new MemoryStore(2, () => now);
  await m.set('a', '1', 100);
  await m.set('b', '2', 0);
  now = 99;
  assert.equal(await m.get('a'), '1');
  now = 100;
  assert.equal(await m.get('a'), undefined);
  now = 1e9;
  assert.equal(await m.get('b'), '2');
  await m.set('c', '3', 0);
  await m.set('d', '4', 0);
  assert.equal(m.size, 2);
  assert.equal(await m.get('b'), undefined);
});

test('[cache] → plan: disabled and null mean no cache; redis from url or host/port/db; others in process', () => {
  const base = { enabled: true, expiration_time: 300, backend_argument: [] as string[] };
  assert.deepEqual(planCache({ ...base, enabled: false, backend: 'dogpile.cache.redis' }), { kind: 'none', reason: 'disabled' });
  assert.deepEqual(planCache({ ...base, backend: 'dogpile.cache.null' }), { kind: 'none', reason: 'null-backend' });
  assert.deepEqual(planCache({ ...base, backend: 'dogpile.cache.memory' }), { kind: 'memory', ttlMs: 300_000, replaces: null });
  assert.deepEqual(planCache({ ...base, backend: 'oslo_cache.memcache_pool' }), { kind: 'memory', ttlMs: 300_000, replaces: 'oslo_cache.memcache_pool' });
  const url = planCache({ ...base, backend: 'dogpile.cache.redis', backend_argument: ['url:redis://:pw@10.0.0.1:6380/2', 'socket_timeout:0.5'] });
  assert.equal(url.kind, 'redis');
  assert.ok(url.kind === 'redis' && url.url === 'redis://:pw@10.0.0.1:6380/2' && url.display === 'redis://:***@10.0.0.1:6380/2' && url.commandTimeoutMs === 500);
  const parts = planCache({ ...base, backend: 'dogpile.cache.redis', backend_argument: ['host:cache1', 'port:6390', 'db:3', 'password:pw'] });
  assert.ok(parts.kind === 'redis' && parts.url === null);
  assert.deepEqual(parts.kind === 'redis' && parts.options, { host: 'cache1', port: 6390, db: 3, password: 'pw' });
  assert.equal(parts.kind === 'redis' && parts.display, 'redis://:***@cache1:6390/3');
  const unix = planCache({ ...base, backend: 'dogpile.cache.redis', backend_argument: ['url:unix:///run/redis.sock?db=1'] });
  assert.deepEqual(unix.kind === 'redis' && unix.options, { path: '/run/redis.sock', db: 1 });
  assert.throws(() => planCache({ ...base, backend: 'dogpile.cache.redis', backend_argument: ['url:http://x'] }), (e: unknown) => e instanceof ConfigError && !e.message.includes('pw'));
  assert.throws(() => planCache({ ...base, backend: 'dogpile.cache.redis', backend_argument: ['url:redis://:topsecret@x:notaport'] }), (e: unknown) => e instanceof ConfigError && !e.message.includes('topsecret'));
});
