import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics } from '../../../shared/control/metrics.js';
import { parsePromText, sampleValue } from './prom-text.js';

async function scrape(m: Metrics) {
  const r = await m.render();
  assert.match(r.contentType, /^text\/plain; version=0\.0\.4/);
  return parsePromText(r.text);
}

test('a fresh registry exposes every nucleon metric family, well formed', async () => {
  const fams = await scrape(new Metrics());
  const expected: Record<string, string> = {
    nucleon_applies_total: 'counter',
    nucleon_apply_duration_seconds: 'histogram',
    nucleon_ops_applied_total: 'counter',
    nucleon_ops_failed_total: 'counter',
    nucleon_rpc_calls_total: 'counter',
    nucleon_rpc_call_failures_total: 'counter',
    nucleon_rpc_call_duration_seconds: 'histogram',
    nucleon_broker_reconnects_total: 'counter',
    nucleon_resources_managed: 'gauge',
    nucleon_process_resident_memory_bytes: 'gauge',
    nucleon_process_heap_used_bytes: 'gauge',
    nucleon_broker_connected: 'gauge',
    nucleon_degraded_keys: 'gauge',
  };
  for (const [name, type] of Object.entries(expected)) assert.equal(fams.get(name)?.type, type, name);
  for (const name of fams.keys()) assert.match(name, /^nucleon_/);
  assert.ok((sampleValue(fams, 'nucleon_process_resident_memory_bytes') ?? 0) > 1_000_000, 'RSS of a node process is megabytes');
});

test('hooks count applies, ops by kind, RPC calls and latency, reconnects and resources', async () => {
  const m = new Metrics();
  m.applyObserved(120, { 'link.add': 3, 'addr.add': 2 }, {});
  m.applyObserved(30, { 'link.add': 1 }, { 'route.replace': 1 });
  m.rpcCall('get_active_networks_info', 4, true);
  m.rpcCall('get_active_networks_info', 2500, false);
  m.rpcCall('report_state', 3, true);
  m.reconnect();
  m.reconnect();
  m.resources('networks', 7);
  m.resources('networks', 5);
  const f = await scrape(m);
  assert.equal(sampleValue(f, 'nucleon_applies_total', { outcome: 'ok' }), 1);
  assert.equal(sampleValue(f, 'nucleon_applies_total', { outcome: 'failed' }), 1);
  assert.equal(sampleValue(f, 'nucleon_apply_duration_seconds_count'), 2);
  assert.ok(Math.abs((sampleValue(f, 'nucleon_apply_duration_seconds_sum') ?? 0) - 0.15) < 1e-9, 'durations in seconds');
  assert.equal(sampleValue(f, 'nucleon_apply_duration_seconds_bucket', { le: '0.05' }), 1);
  assert.equal(sampleValue(f, 'nucleon_ops_applied_total', { kind: 'link.add' }), 4);
  assert.equal(sampleValue(f, 'nucleon_ops_applied_total', { kind: 'addr.add' }), 2);
  assert.equal(sampleValue(f, 'nucleon_ops_failed_total', { kind: 'route.replace' }), 1);
  assert.equal(sampleValue(f, 'nucleon_rpc_calls_total', { method: 'get_active_networks_info' }), 2);
  assert.equal(sampleValue(f, 'nucleon_rpc_call_failures_total', { method: 'get_active_networks_info' }), 1);
  assert.equal(sampleValue(f, 'nucleon_rpc_call_failures_total', { method: 'report_state' }), undefined);
  assert.equal(sampleValue(f, 'nucleon_rpc_call_duration_seconds_count', { method: 'report_state' }), 1);
  assert.equal(sampleValue(f, 'nucleon_broker_reconnects_total'), 2);
  assert.equal(sampleValue(f, 'nucleon_resources_managed', { kind: 'networks' }), 5, 'a gauge: last value wins');
});

test('hooks drop bad numbers instead of throwing', async () => {
  const m = new Metrics();
  assert.doesNotThrow(() => {
    m.applyObserved(NaN, { 'link.add': -1, 'addr.add': Infinity }, { x: NaN });
    m.rpcCall('m', -5, true);
    m.resources('ports', NaN);
  });
  const f = await scrape(m);
  assert.equal(sampleValue(f, 'nucleon_applies_total', { outcome: 'ok' }), 1, 'the apply itself still counts');
  assert.equal(sampleValue(f, 'nucleon_apply_duration_seconds_count'), 0);
  assert.equal(sampleValue(f, 'nucleon_ops_applied_total', { kind: 'link.add' }), undefined);
  assert.equal(sampleValue(f, 'nucleon_resources_managed', { kind: 'ports' }), undefined);
});

test('default labels and bound gauges are read at scrape time; odd label values are escaped', async () => {
  const m = new Metrics();
  let connected = false;
  m.setDefaultLabels({ agent: 'nucleon-l3-agent' });
  m.bind({ brokerConnected: () => connected, degradedKeys: () => 3 });
  m.rpcCall('we"ird\\method\nname', 1, true);
  let f = await scrape(m);
  assert.equal(sampleValue(f, 'nucleon_broker_connected', { agent: 'nucleon-l3-agent' }), 0);
  assert.equal(sampleValue(f, 'nucleon_degraded_keys'), 3);
  assert.equal(sampleValue(f, 'nucleon_rpc_calls_total', { method: 'we"ird\\method\nname', agent: 'nucleon-l3-agent' }), 1);
  connected = true;
  f = await scrape(m);
  assert.equal(sampleValue(f, 'nucleon_broker_connected'), 1);
});

test('the strict parser refuses malformed exposition text', () => {
  assert.throws(() => parsePromText('x_total 1\n'), /without HELP\/TYPE/);
  assert.throws(() => parsePromText('# TYPE a counter\na{b="c} 1\n'), /unterminated|not a sample/);
  assert.throws(() => parsePromText('# TYPE a counter\na one\n'), /bad value/);
  assert.throws(() => parsePromText('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 0\n'), /cumulative/);
  assert.throws(() => parsePromText('# TYPE a counter\na 1'), /newline/);
});

test('opCountsByKind: succeeded = ran − failed, per kind', async () => {
  const { opCountsByKind } = await import('../../../shared/control/metrics.js');
  const ran = [{ kind: 'link.add' }, { kind: 'link.add' }, { kind: 'addr.add' }, { kind: 'route.replace' }];
  assert.deepEqual(opCountsByKind(ran, [{ op: { kind: 'link.add' } }, { op: { kind: 'route.replace' } }]), {
    applied: { 'link.add': 1, 'addr.add': 1 },
    failed: { 'link.add': 1, 'route.replace': 1 },
  });
});
