import { test } from 'node:test';
import assert from 'node:assert/strict';
import netlink from 'netlink';
import { diffLinks, prefixMatcher, type LinkInfo } from '../../../shared/drivers/link-watcher.js';
import { parseIpLinkJson } from '../../../shared/drivers/link-watcher-scan.js';
import { classifySocketError, parseLinkNotification, RTM_DELLINK, RTM_NEWLINK } from '../../../shared/drivers/link-watcher-netlink.js';

/** An ifinfomsg + attributes payload, encoded by the package itself. */
function linkPayload(family: number, index: number, up: boolean, attrs: { ifname?: string; mtu?: number; address?: Buffer; master?: number; operstate?: number }): Buffer {
  const out = new netlink.AttrStream();
  netlink.rt.formatLinkMessage({ kind: 'link', data: { family, index, ...(up ? { flags: { up: true } } : {}) }, attrs }, out);
  return Buffer.concat(out.bufs);
}

const MAC = Buffer.from([0xfa, 0x16, 0x3e, 0x0a, 0x0b, 0x0c]);

test('RTM_NEWLINK (AF_UNSPEC) decodes name, index, mac, up, master index, mtu, operstate', () => {
  const rec = parseLinkNotification(RTM_NEWLINK, linkPayload(0, 12, true, { ifname: 'tap1', mtu: 1450, address: MAC, master: 7, operstate: 6 }));
  assert.deepEqual(rec, { kind: 'new', name: 'tap1', index: 12, mac: 'fa:16:3e:0a:0b:0c', up: true, mtu: 1450, masterIndex: 7, operstate: 'UP' });
  const down = parseLinkNotification(RTM_NEWLINK, linkPayload(0, 12, false, { ifname: 'tap1', mtu: 1500, operstate: 3 }));
  assert.deepEqual(down, { kind: 'new', name: 'tap1', index: 12, mac: '', up: false, mtu: 1500, operstate: 'LOWERLAYERDOWN' });
});

test('RTM_DELLINK decodes to a deletion by index and name', () => {
  assert.deepEqual(parseLinkNotification(RTM_DELLINK, linkPayload(0, 12, false, { ifname: 'tap1', mtu: 1500 })), { kind: 'del', name: 'tap1', index: 12 });
});

test('AF_BRIDGE port events (a DELLINK is "left the bridge") and other message types are ignored', () => {
  assert.equal(parseLinkNotification(RTM_DELLINK, linkPayload(7, 12, true, { ifname: 'tap1', master: 7 })), undefined);
  assert.equal(parseLinkNotification(RTM_NEWLINK, linkPayload(7, 12, true, { ifname: 'tap1', master: 7 })), undefined);
  assert.equal(parseLinkNotification(20, linkPayload(0, 12, true, { ifname: 'tap1' })), undefined);
});

test('a truncated payload throws (the watcher turns that into a rescan)', () => {
  assert.throws(() => parseLinkNotification(RTM_NEWLINK, Buffer.alloc(6)));
});

test('socket errors: ENOBUFS by code, by message when the code is missing, anything else is a socket error', () => {
  assert.equal(classifySocketError(Object.assign(new Error('x'), { code: 'ENOBUFS' })), 'ENOBUFS');
  assert.equal(classifySocketError(new Error('Error when receiving Netlink message: no buffer space available')), 'ENOBUFS');
  assert.equal(classifySocketError(new Error('recvmsg: ENOBUFS')), 'ENOBUFS');
  assert.equal(classifySocketError(Object.assign(new Error('x'), { code: 'EBADF' })), 'socket-error');
  assert.equal(classifySocketError('weird'), 'socket-error');
});

test('ip -json link show: real output shape, master by name, loopback and junk entries handled', () => {
  const out = JSON.stringify([
    { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], mtu: 65536, operstate: 'UNKNOWN', link_type: 'loopback', address: '00:00:00:00:00:00' },
    { ifindex: 3, link: 'pprobe0', ifname: 'tapprobe0', flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP', 'M-DOWN'], mtu: 1500, master: 'brprobe', operstate: 'LOWERLAYERDOWN', address: 'FE:63:AA:E0:95:84' },
    { ifindex: 4, ifname: 'ipip0', flags: [], mtu: 1480, address: '0.0.0.0' },
    { ifname: 'noindex' },
    { ifindex: 9 },
    'junk',
    null,
    { ifindex: 5, ifname: 'tapbare' },
  ]);
  assert.deepEqual(parseIpLinkJson(out), [
    { name: 'lo', index: 1, mac: '00:00:00:00:00:00', up: true, mtu: 65536, operstate: 'UNKNOWN' },
    { name: 'tapprobe0', index: 3, mac: 'fe:63:aa:e0:95:84', up: true, mtu: 1500, master: 'brprobe', operstate: 'LOWERLAYERDOWN' },
    { name: 'ipip0', index: 4, mac: '', up: false, mtu: 1480 },
    { name: 'tapbare', index: 5, mac: '', up: false, mtu: 0 },
  ]);
  assert.deepEqual(parseIpLinkJson(''), []);
  assert.deepEqual(parseIpLinkJson('[]\n'), []);
  assert.throws(() => parseIpLinkJson('{"ifindex":1}'), /JSON array/);
  assert.throws(() => parseIpLinkJson('[{"ifindex":'));
});

const L = (name: string, index: number, extra: Partial<LinkInfo> = {}): LinkInfo => ({ name, index, mac: 'fa:16:3e:00:00:01', up: true, mtu: 1500, ...extra });

test('diffLinks: added, removed, changed on mac/up/master/mtu/index only, sorted by name', () => {
  const prev = new Map([
    ['tapc', L('tapc', 3)],
    ['tapa', L('tapa', 1)],
    ['tapgone', L('tapgone', 4)],
    ['tapop', L('tapop', 5, { operstate: 'UP' })],
    ['tapre', L('tapre', 6)],
  ]);
  const next = new Map([
    ['tapc', L('tapc', 3, { mtu: 1400 })],
    ['tapa', L('tapa', 1, { master: 'brq1' })],
    ['tapop', L('tapop', 5, { operstate: 'DOWN' })],
    ['tapre', L('tapre', 16)],
    ['tapnew2', L('tapnew2', 8)],
    ['tapnew1', L('tapnew1', 7)],
  ]);
  const d = diffLinks(prev, next);
  assert.deepEqual(d.added.map((l) => l.name), ['tapnew1', 'tapnew2']);
  assert.deepEqual(d.removed, ['tapgone']);
  assert.deepEqual(d.changed.map((l) => l.name), ['tapa', 'tapc', 'tapre']);
  assert.deepEqual(diffLinks(prev, next, ['tapc', 'tapgone', 'tapunknown']), { added: [], removed: ['tapgone'], changed: [next.get('tapc')] });
  for (const field of [{ mac: 'fa:16:3e:00:00:02' }, { up: false }, { master: 7 }, { mtu: 9000 }]) {
    assert.equal(diffLinks(new Map([['t', L('t', 1)]]), new Map([['t', L('t', 1, field)]])).changed.length, 1, JSON.stringify(field));
  }
});

test('prefixMatcher: one prefix or several; an empty list is refused', () => {
  const m = prefixMatcher(['tap', 'qvb']);
  assert.ok(m('tap123') && m('qvb1') && !m('xtap1') && !m('ta'));
  assert.ok(prefixMatcher('')('anything'));
  assert.throws(() => prefixMatcher([]));
});
