/**
 * The DHCP agent's scheduling pieces (pure): which kind of apply a work is, the slice
 * budget, the drift verdict, and the parse of the one-process namespace read.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planWork, SliceBudget } from '../../../agents/dhcp/resync.js';
import { driftOf, type ObservedLocalState, type ServedLocalState } from '../../../agents/dhcp/drift.js';
import { isMissingNetns, parseNetnsRead, readDhcpNetns, NETNS_READ_BATCH } from '../../../agents/dhcp/netns-read.js';
import { CommandError } from '../../../shared/exec/errors.js';
import type { CommandRunner, RunOptions } from '../../../shared/exec/command-runner.js';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const C = 'cccccccc-0000-4000-8000-000000000003';

describe('planWork', () => {
  it('incremental: network: keys are fetched and served first, sync: keys served from the copy (a key in both is fetched)', () => {
    const p = planWork({ fullSync: false, keys: new Set([`sync:${B}`, `network:${A}`, `sync:${A}`, 'other:x']), reason: ['port_create_end'], fullSyncReasons: [] });
    assert.deepEqual(p, { refetch: [A], fromCache: [B], toCheck: [], serverSync: false, driftCheck: false });
  });

  it('check: keys are checked unless the network is served in this apply anyway', () => {
    const p = planWork({ fullSync: false, keys: new Set([`check:${A}`, `check:${B}`, `check:${C}`, `sync:${B}`, `network:${C}`]), reason: [], fullSyncReasons: [] });
    assert.deepEqual(p, { refetch: [C], fromCache: [B], toCheck: [A], serverSync: false, driftCheck: false });
  });

  it('periodic alone is a drift check, even with notification reasons merged in', () => {
    assert.deepEqual(planWork({ fullSync: true, keys: new Set([`network:${A}`]), reason: ['port_create_end', 'periodic'], fullSyncReasons: ['periodic'] }), { refetch: [A], fromCache: [], toCheck: [], serverSync: false, driftCheck: true });
  });

  it('any other full-sync reason is a server sync', () => {
    for (const r of ['startup', 'revived', 'broker reconnected', 'agent_updated', 'retry-full-sync', 'incremental-failed']) {
      assert.equal(planWork({ fullSync: true, keys: new Set(), reason: [r, 'periodic'], fullSyncReasons: ['periodic', r] }).serverSync, true, r);
    }
  });

  it('without fullSyncReasons (an older runner, a direct call): the reasons decide; none at all means a server sync', () => {
    assert.equal(planWork({ fullSync: true, keys: new Set(), reason: ['periodic'] }).driftCheck, true);
    assert.equal(planWork({ fullSync: true, keys: new Set(), reason: ['test'] }).serverSync, true);
    assert.equal(planWork({ fullSync: true, keys: new Set(), reason: [] }).serverSync, true);
  });
});

describe('SliceBudget', () => {
  it('always allows the first network of each lane, then only while time is left', () => {
    let t = 1000;
    const b = new SliceBudget(100, () => t);
    t = 5000;
    assert.equal(b.take('notified'), true, 'first one even when the budget is spent already');
    assert.equal(b.take('notified'), false);
    assert.equal(b.take('queued'), true, 'queued work is not starved by a slow notification');
    assert.equal(b.take('queued'), false);
    let u = 0;
    const c = new SliceBudget(100, () => u);
    assert.equal(c.take('queued'), true);
    u = 99;
    assert.equal(c.left(), true);
    assert.equal(c.take('queued'), true);
    u = 100;
    assert.equal(c.left(), false);
    assert.equal(c.take('queued'), false);
  });
});

describe('driftOf', () => {
  const served: ServedLocalState = { files: { host: 'h', addn_hosts: 'a', opts: 'o' }, haproxyConf: 'cfg' };
  const clean: ObservedLocalState = { kernelOps: [], files: { host: 'h', addn_hosts: 'a', opts: 'o' }, haproxyConf: 'cfg', dnsmasqAlive: true, haproxyAlive: true };

  it('nothing when everything is as served', () => {
    assert.deepEqual(driftOf(served, clean), []);
  });

  it('names every difference', () => {
    assert.deepEqual(driftOf(served, { ...clean, kernelOps: [{ kind: 'addr.add', key: 'k', netns: 'n', dev: 'd', cidr: '10.0.0.2/24' }, { kind: 'addr.add', key: 'k', netns: 'n', dev: 'd', cidr: '169.254.169.254/32' }] }), ['kernel: addr.add']);
    assert.deepEqual(driftOf(served, { ...clean, netnsProblem: 'namespace missing', files: { host: undefined, addn_hosts: 'a', opts: 'x' }, dnsmasqAlive: false, haproxyAlive: false, haproxyConf: undefined }),
      ['namespace missing', 'dnsmasq host file differs', 'dnsmasq opts file differs', 'dnsmasq not running', 'haproxy config differs', 'haproxy not running']);
  });

  it('haproxy is only checked where it is served', () => {
    assert.deepEqual(driftOf({ ...served, haproxyConf: undefined }, { ...clean, haproxyConf: undefined, haproxyAlive: false }), []);
  });
});

describe('one-process namespace read', () => {
  const addr = JSON.stringify([
    { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], mtu: 65536, address: '00:00:00:00:00:00', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }] },
    { ifindex: 2, ifname: 'ns-0123456789a', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1450, address: 'fa:16:3e:00:00:01', link_netnsid: 0, addr_info: [
      { family: 'inet', local: '10.1.0.2', prefixlen: 24, scope: 'global' },
      { family: 'inet', local: '169.254.169.254', prefixlen: 32, scope: 'global' },
      { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' },
    ] },
  ]);

  it('parses links, addresses and the default route from the two JSON lines ip prints', () => {
    const a = parseNetnsRead(`${addr}\n[{"dst":"default","gateway":"10.1.0.1","dev":"ns-0123456789a","flags":[]}]\n`);
    assert.equal(a.exists, true);
    assert.deepEqual([...a.links.keys()], ['lo', 'ns-0123456789a']);
    assert.deepEqual({ up: a.links.get('ns-0123456789a')!.up, mtu: a.links.get('ns-0123456789a')!.mtu, mac: a.links.get('ns-0123456789a')!.mac }, { up: true, mtu: 1450, mac: 'fa:16:3e:00:00:01' });
    assert.deepEqual(a.addresses.filter((x) => x.dev !== 'lo').map((x) => `${x.cidr} ${x.scope}`), ['10.1.0.2/24 global', '169.254.169.254/32 global', 'fe80::1/64 link']);
    assert.equal(a.defaultVia, '10.1.0.1');
    assert.equal(parseNetnsRead(`${addr}\n[]\n`).defaultVia, undefined);
  });

  it('refuses output that is not exactly two documents', () => {
    assert.throws(() => parseNetnsRead(`${addr}\n`), /expected 2/);
  });

  it('runs one ip -n NS -json -batch - and maps a missing namespace to exists: false', async () => {
    const seen: Array<{ argv: readonly string[]; input: string | undefined }> = [];
    const runner: CommandRunner = {
      run: async (argv: readonly string[], opts: RunOptions = {}) => {
        seen.push({ argv, input: opts.input });
        if (argv[2] === 'qdhcp-gone') throw new CommandError({ argv, exitCode: 1, stdout: '', stderr: 'Cannot open network namespace "qdhcp-gone": No such file or directory\n', timedOut: false });
        if (argv[2] === 'qdhcp-slow') throw new CommandError({ argv, exitCode: undefined, stdout: '', stderr: '', timedOut: true });
        return { stdout: `${addr}\n[]\n`, stderr: '', exitCode: 0, durationMs: 1 };
      },
    };
    assert.equal((await readDhcpNetns(runner, 'qdhcp-x')).exists, true);
    assert.deepEqual(seen[0], { argv: ['ip', '-n', 'qdhcp-x', '-json', '-batch', '-'], input: NETNS_READ_BATCH });
    assert.equal((await readDhcpNetns(runner, 'qdhcp-gone')).exists, false);
    await assert.rejects(readDhcpNetns(runner, 'qdhcp-slow'), (e: unknown) => e instanceof CommandError && !isMissingNetns(e));
    await assert.rejects(readDhcpNetns(runner, 'bad name;'), /netns name/);
  });
});
