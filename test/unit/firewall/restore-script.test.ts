import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIptablesSave } from '../../../shared/firewall/iptables-save.js';
import { composeRestore } from '../../../shared/firewall/restore-script.js';
import { renderFirewall } from '../../../shared/firewall/render.js';
import { ipsetRestoreScript } from '../../../shared/firewall/render-ipsets.js';
import { parseIpsetSave } from '../../../shared/firewall/linuxbridge-firewall.js';
import { reply } from './fixtures.js';

const W = 'neutron-linuxbri';
const emptySave = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -s 192.0.2.1/32 -j DROP\nCOMMIT\n';

/** What iptables-save would print after a restore: a tiny model of the kernel for these scripts. */
function applyModel(saveText: string, restore: string): string {
  const t = parseIptablesSave(saveText);
  const rules = t.rules;
  const chains = [...t.chains];
  for (const line of restore.split('\n')) {
    if (line.startsWith(':')) {
      const c = line.slice(1).split(' ')[0] ?? '';
      if (!chains.includes(c)) chains.push(c);
      rules.set(c, []);
    } else if (line.startsWith('-A ')) rules.get(line.split(' ')[1] ?? '')?.push(line);
    else if (line.startsWith('-I ')) {
      const [, c = '', pos = '1', ...rest] = line.split(' ');
      rules.get(c)?.splice(Number(pos) - 1, 0, `-A ${c} ${rest.join(' ')}`);
    } else if (line.startsWith('-D ')) {
      const c = line.split(' ')[1] ?? '';
      const list = rules.get(c) ?? [];
      const i = list.indexOf(`-A ${line.slice(3)}`);
      assert.ok(i >= 0, `delete of a missing rule: ${line}`);
      list.splice(i, 1);
    } else if (line.startsWith('-X ')) {
      const c = line.slice(3);
      chains.splice(chains.indexOf(c), 1);
      rules.delete(c);
    }
  }
  const out = ['*filter', ...chains.map((c) => `:${c} ${['INPUT', 'FORWARD', 'OUTPUT'].includes(c) ? 'ACCEPT' : '-'} [0:0]`)];
  for (const c of chains) out.push(...(rules.get(c) ?? []));
  out.push('COMMIT', '');
  return out.join('\n');
}

test('first apply: declares owned chains and filter-top, inserts jumps at the top, keeps foreign rules', () => {
  const desired = renderFirewall(reply([])).tables[4];
  const script = composeRestore(desired, parseIptablesSave(emptySave));
  assert.ok(script !== null);
  assert.ok(script.startsWith('*filter\n:neutron-filter-top - [0:0]\n'));
  assert.ok(!script.includes(':FORWARD'), 'built-in chains are never declared (that would not flush with --noflush, but stay clear)');
  const after = parseIptablesSave(applyModel(emptySave, script));
  assert.deepEqual(after.rules.get('FORWARD'), ['-A FORWARD -j neutron-filter-top', `-A FORWARD -j ${W}-FORWARD`, '-A FORWARD -s 192.0.2.1/32 -j DROP']);
  assert.deepEqual(after.rules.get('OUTPUT'), ['-A OUTPUT -j neutron-filter-top', `-A OUTPUT -j ${W}-OUTPUT`]);
  assert.deepEqual(after.rules.get('INPUT'), [`-A INPUT -j ${W}-INPUT`]);
  assert.deepEqual(after.rules.get('neutron-filter-top'), [`-A neutron-filter-top -j ${W}-local`]);
});

test('second apply against the result is a no-op (null)', () => {
  const desired = renderFirewall(reply([])).tables[4];
  const once = applyModel(emptySave, composeRestore(desired, parseIptablesSave(emptySave)) ?? '');
  assert.equal(composeRestore(desired, parseIptablesSave(once)), null);
});

test('a hand-edited owned chain or a duplicated jump triggers a restore that fixes it', () => {
  const desired = renderFirewall(reply([])).tables[4];
  const once = applyModel(emptySave, composeRestore(desired, parseIptablesSave(emptySave)) ?? '');
  const edited = once.replace('COMMIT', `-A ${W}-sg-chain -j DROP\n-A FORWARD -j ${W}-FORWARD\nCOMMIT`);
  const script = composeRestore(desired, parseIptablesSave(edited));
  assert.ok(script !== null);
  const fixed = applyModel(edited, script);
  assert.equal(composeRestore(desired, parseIptablesSave(fixed)), null);
  assert.equal(parseIptablesSave(fixed).rules.get('FORWARD')?.filter((r) => r === `-A FORWARD -j ${W}-FORWARD`).length, 1);
});

test('chains no port needs are removed with the rules pointing at them; empty desired leaves only foreign rules', () => {
  const desired = renderFirewall(reply([])).tables[4];
  const once = applyModel(emptySave, composeRestore(desired, parseIptablesSave(emptySave)) ?? '');
  // A Python-era stale port chain, jumped to from a foreign chain.
  const stale = once.replace('COMMIT', `:${W}-izzzzzzzzzz - [0:0]\n-A ${W}-izzzzzzzzzz -j RETURN\n-A FORWARD -m comment --comment "x y" -j ${W}-izzzzzzzzzz\nCOMMIT`);
  const s1 = composeRestore(desired, parseIptablesSave(stale)) ?? '';
  assert.match(s1, new RegExp(`-D FORWARD -m comment --comment "x y" -j ${W}-izzzzzzzzzz`));
  assert.match(s1, new RegExp(`-X ${W}-izzzzzzzzzz\\n`));
  const none = renderFirewall({ devices: {}, security_groups: {}, sg_member_ips: {} }).tables[4];
  const s2 = composeRestore(none, parseIptablesSave(once)) ?? '';
  const after = parseIptablesSave(applyModel(once, s2));
  assert.deepEqual(after.chains, ['INPUT', 'FORWARD', 'OUTPUT']);
  assert.deepEqual(after.rules.get('FORWARD'), ['-A FORWARD -s 192.0.2.1/32 -j DROP']);
  assert.equal(composeRestore(none, parseIptablesSave(emptySave)), null);
});

test('a neutron-filter-top with rules of another component is kept when we leave', () => {
  const none = renderFirewall({ devices: {}, security_groups: {}, sg_member_ips: {} }).tables[4];
  const save = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:neutron-filter-top - [0:0]\n:neutron-linuxbri-local - [0:0]\n-A FORWARD -j neutron-filter-top\n-A neutron-filter-top -j neutron-linuxbri-local\n-A neutron-filter-top -j ACCEPT\nCOMMIT\n';
  const after = parseIptablesSave(applyModel(save, composeRestore(none, parseIptablesSave(save)) ?? ''));
  assert.deepEqual(after.rules.get('neutron-filter-top'), ['-A neutron-filter-top -j ACCEPT']);
  assert.deepEqual(after.rules.get('FORWARD'), ['-A FORWARD -j neutron-filter-top']);
});

test('ipset restore script swaps from a temp set; ipset save is parsed per set', () => {
  assert.equal(ipsetRestoreScript([{ name: 'NIPv4abc', family: 'inet', members: ['10.0.0.1', '10.1.0.0/16'] }]),
    'create NIPv4abc hash:net family inet\ncreate NIPv4abc-n hash:net family inet\nflush NIPv4abc-n\nadd NIPv4abc-n 10.0.0.1\nadd NIPv4abc-n 10.1.0.0/16\nswap NIPv4abc-n NIPv4abc\ndestroy NIPv4abc-n\n');
  const m = parseIpsetSave('create NIPv4abc hash:net family inet hashsize 1024 maxelem 65536\nadd NIPv4abc 10.0.0.1\ncreate other hash:ip family inet\n');
  assert.deepEqual([...(m.get('NIPv4abc') ?? [])], ['10.0.0.1']);
  assert.equal(m.get('other')?.size, 0);
});
