import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zonesToFlush, type FlushInput } from '../../../shared/firewall/ct-flush.js';
import { parseIptablesSave, type SavedTable } from '../../../shared/firewall/iptables-save.js';
import { LINUXBRIDGE_CHAINS } from '../../../shared/firewall/names.js';
import { renderFirewall } from '../../../shared/firewall/render.js';
import type { IpsetSpec, OwnedFilterTable } from '../../../shared/firewall/types.js';
import { P1, P2, reply, SG, TAP1 } from './fixtures.js';

const ICMP_ANY = { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', stateful: true };
const ICMP_GROUP = { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', remote_group_id: SG, stateful: true };

/** What iptables-save would print for a rendered table: the kernel after that apply. */
function asSaved(t: OwnedFilterTable): SavedTable {
  return parseIptablesSave(['*filter', ...t.chains.map((c) => `:${c} - [0:0]`), ...t.rules, 'COMMIT'].join('\n'));
}
const setsOf = (specs: IpsetSpec[]) => new Map(specs.map((s) => [s.name, new Set(s.members)]));

function flushBetween(before: Record<string, unknown>, after: Record<string, unknown>): number[] {
  const b = renderFirewall(before);
  const a = renderFirewall(after);
  const zones: Record<string, number> = { [P1]: 4097, [P2]: 4098 };
  const input: FlushInput = {
    names: LINUXBRIDGE_CHAINS,
    saved: [asSaved(b.tables[4]), asSaved(b.tables[6])],
    desired: [a.tables[4], a.tables[6]],
    setsNow: setsOf(b.ipsets),
    setsWanted: a.ipsets,
    ports: a.filtered,
    zoneOf: (p) => zones[p.id],
  };
  return zonesToFlush(input);
}

test('the same state (re-apply, restart, a node taken over from Python): nothing flushed', () => {
  assert.deepEqual(flushBetween(reply([ICMP_ANY]), reply([ICMP_ANY])), []);
});

test('a rule added: nothing flushed (nothing it allowed is taken away)', () => {
  assert.deepEqual(flushBetween(reply([]), reply([ICMP_ANY])), []);
});

test('a rule removed: the zones of the ports that had it', () => {
  assert.deepEqual(flushBetween(reply([ICMP_ANY]), reply([])), [4097, 4098]);
});

test('a remote-group member removed: the zones of the ports whose rules match that set', () => {
  const before = reply([ICMP_GROUP]);
  const after = structuredClone(before) as { sg_member_ips: Record<string, { IPv4: Array<[string, null]> }> };
  after.sg_member_ips[SG]!.IPv4 = [['10.0.0.11', null]];
  assert.deepEqual(flushBetween(before, after), [4097, 4098]);
});

test('port security switched on: the ACCEPT that let everything through goes, its zone is flushed', () => {
  assert.deepEqual(flushBetween(reply([], { port_security_enabled: false, security_groups: [] }), reply([])), [4097]);
  assert.ok(TAP1.startsWith('tap'));
});
