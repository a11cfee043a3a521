import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlowSpec } from '../../../agents/ovs/model.js';
import { FlowSpecError } from '../../../shared/drivers/ovs/flow-errors.js';
import { addLine, assertFlowSpec, deleteLine, modifyLine, specText } from '../../../shared/drivers/ovs/flow-spec.js';

const C = 0x6e75000000000abcn;
const f = (over: Partial<FlowSpec> = {}): FlowSpec => ({ table: 0, priority: 3, match: 'in_port=1,dl_vlan=0xffff', actions: 'mod_vlan_vid:3,resubmit(,60)', ...over });

test('flow-mod lines: add sets the cookie; modify/delete are strict and restricted to one cookie (/-1)', () => {
  assert.equal(addLine(f(), C), 'add cookie=0x6e75000000000abc,table=0,priority=3,in_port=1,dl_vlan=0xffff,actions=mod_vlan_vid:3,resubmit(,60)');
  assert.equal(modifyLine(f(), C), 'modify_strict cookie=0x6e75000000000abc/-1,table=0,priority=3,in_port=1,dl_vlan=0xffff,actions=mod_vlan_vid:3,resubmit(,60)');
  assert.equal(deleteLine(60, 100, 'in_port=1', 0x6e75000000000001n), 'delete_strict cookie=0x6e75000000000001/-1,table=60,priority=100,in_port=1');
});

test('an empty match leaves no stray comma', () => {
  assert.equal(addLine(f({ match: '', actions: 'NORMAL', priority: 0 }), C), 'add cookie=0x6e75000000000abc,table=0,priority=0,actions=NORMAL');
  assert.equal(deleteLine(0, 0, '', C), 'delete_strict cookie=0x6e75000000000abc/-1,table=0,priority=0');
  assert.equal(specText(f({ match: '' }), 7n), 'cookie=0x7,table=0,priority=3,actions=mod_vlan_vid:3,resubmit(,60)');
});

test('flow text with a line break (or any control character) is refused: it would become two flow mods', () => {
  assert.throws(() => assertFlowSpec(f({ match: 'in_port=1\nadd table=0,actions=drop' }), 4), (e: unknown) => e instanceof FlowSpecError && e.index === 4 && /line break/.test(e.message));
  assert.throws(() => assertFlowSpec(f({ actions: 'output:1\r' })), FlowSpecError);
  assert.throws(() => assertFlowSpec(f({ actions: 'output:1\0' })), FlowSpecError);
});

test('a match may not set what the synchroniser owns (cookie, table, priority, timeouts, flags), with = or :', () => {
  for (const m of ['cookie=0x1,in_port=1', 'in_port=1,table=3', 'priority=5', 'idle_timeout=10', 'hard_timeout:10', 'in_port=1,send_flow_rem', 'COOKIE=1', 'actions=drop']) {
    assert.throws(() => assertFlowSpec(f({ match: m })), FlowSpecError, m);
  }
  assertFlowSpec(f({ match: 'ct_state=+trk,tcp,reg5=0x1,tp_dst=22' }));
  assertFlowSpec(f({ match: '' }));
});

test('table, priority and actions are range-checked', () => {
  assert.throws(() => assertFlowSpec(f({ table: 255 })), FlowSpecError, 'table 255 means all tables');
  assert.throws(() => assertFlowSpec(f({ table: -1 })), FlowSpecError);
  assert.throws(() => assertFlowSpec(f({ priority: 65536 })), FlowSpecError);
  assert.throws(() => assertFlowSpec(f({ priority: 1.5 })), FlowSpecError);
  assert.throws(() => assertFlowSpec(f({ actions: '' })), FlowSpecError, "empty actions: 'drop' must be explicit");
  assert.throws(() => assertFlowSpec(f({ actions: 'output:1,actions=drop' })), FlowSpecError);
  assert.throws(() => assertFlowSpec({ table: 0, priority: 1, match: 1, actions: 'drop' }), FlowSpecError);
  assert.throws(() => assertFlowSpec(null), FlowSpecError);
});
