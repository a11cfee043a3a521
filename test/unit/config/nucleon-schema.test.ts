/**
 * The `[nucleon]` group as every agent reads it (merged by shared/agent/boot.ts):
 * defaults and the `resource_cache` switch of the linuxbridge agent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, LinuxBridgeAgentSchema, NucleonSchema, mergeSchemas, resolveConfig } from '../../../shared/config/index.js';
import { parseIni } from '../../../shared/config/ini-parser.js';

const schema = mergeSchemas(LinuxBridgeAgentSchema, NucleonSchema);
const withNucleon = (body: string) => resolveConfig(schema, [parseIni(`[nucleon]\n${body}\n`, 'linuxbridge_agent.ini')]);

test('[nucleon] defaults: resource_cache on, resync_interval 30 s, no control socket or metrics address set', () => {
  const c = resolveConfig(schema, []);
  assert.equal(c.nucleon.resource_cache, true);
  assert.equal(c.nucleon.resync_interval, 30);
  assert.equal(c.nucleon.control_socket, null);
  assert.equal(c.nucleon.metrics_address, null);
});

test('[nucleon] resource_cache takes oslo booleans', () => {
  for (const [raw, want] of [['false', false], ['False', false], ['no', false], ['0', false], ['true', true], ['on', true], ['1', true]] as const) {
    assert.equal(withNucleon(`resource_cache = ${raw}`).nucleon.resource_cache, want, raw);
  }
});

test('[nucleon] resource_cache = maybe is a ConfigError naming the option', () => {
  assert.throws(() => withNucleon('resource_cache = maybe'), (e: unknown) => e instanceof ConfigError && e.message.includes('resource_cache'));
});
