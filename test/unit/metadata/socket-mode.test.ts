/** metadata_proxy_socket_mode as Neutron deduces it from metadata_proxy_user/group. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { socketModeBits } from '../../../agents/metadata/socket-mode.js';

const neutron = { euid: 998, egid: 997, userName: 'neutron', groupName: 'neutron' };

test('explicit modes', () => {
  assert.equal(socketModeBits('user', 'x', 'y', neutron), 0o644);
  assert.equal(socketModeBits('group', '', '', neutron), 0o664);
  assert.equal(socketModeBits('all', '', '', neutron), 0o666);
});

test('deduce: own user or root → 0644; else own group → 0664; else 0666', () => {
  for (const user of ['', '0', 'root', '998', 'neutron']) assert.equal(socketModeBits('deduce', user, 'haproxy', neutron), 0o644, user);
  for (const group of ['', '997', 'neutron']) assert.equal(socketModeBits('deduce', 'haproxy', group, neutron), 0o664, group);
  assert.equal(socketModeBits('deduce', 'haproxy', 'haproxy', neutron), 0o666);
});
