/**
 * RouterNat on the real kernel (iptables-nft). Three throwaway namespaces:
 *
 *   VM  vm0 10.N.0.10/24, default via 10.N.0.1
 *    |
 *   router  qr-… 10.N.0.1/24, qg-… 198.51.100.2/24 (+ the floating IP /32 when there is one),
 *    |      net.ipv4.ip_forward=1 (the agent's sysctl op, set here by the test)
 *   external  ext0 198.51.100.1/24, no route back to 10.N.0.0/24
 *
 * TCP through `nc` (netcat-openbsd); the listener's "Connection received on <ip>"
 * shows the source the far side saw. Every iptables/conntrack command runs in the
 * router namespace. All namespaces go away in `after`, even on failure; listeners
 * are ended by their PID.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execa, type ResultPromise } from 'execa';
import { ExecaCommandRunner } from '../../../shared/exec/command-runner.js';
import { normaliseSave } from '../../../shared/firewall/iptables-save.js';
import { RouterNat } from '../../../agents/l3/nat/router-nat.js';
import { renderRouterNat } from '../../../agents/l3/nat/render.js';
import type { RouterNatInput } from '../../../agents/l3/nat/types.js';

const hex = randomBytes(2).toString('hex');
const prefix = `ntn${hex}`;
const VM = `${prefix}v`;
const R = `${prefix}r`;
const EXT = `${prefix}e`;
const QR = `qr-${hex}aaaaaaa`;
const QG = `qg-${hex}bbbbbbb`;
const N = 100 + (randomBytes(1)[0] ?? 0) % 100;
const VM_IP = `10.${N}.0.10`;
const GW_IP = '198.51.100.2';
const EXT_IP = '198.51.100.1';
const FIP = '198.51.100.50';
const W = 'neutron-l3-agent';

const runner = new ExecaCommandRunner();
const nat = new RouterNat({ runner });
const ns = (n: string, ...argv: string[]) => execa('ip', ['netns', 'exec', n, ...argv], { timeout: 15_000 });
const listeners = new Set<ResultPromise>();
let port = 20000 + (randomBytes(2).readUInt16BE(0) % 20000);

const desired = (fips: RouterNatInput['floatingIps'] = []) => renderRouterNat({
  routerId: '00000000-0000-4000-8000-000000000000',
  gatewayDevice: QG,
  gatewayIps: [GW_IP],
  internalDevices: [{ dev: QR, cidrs: [`10.${N}.0.1/24`] }],
  enableSnat: true,
  floatingIps: fips,
  metadata: { enabled: true, port: 9697, accessMark: '0x1', ingressMark: '0x2' },
});
const WITH_FIP = [{ id: 'f1', floatingIp: FIP, fixedIp: VM_IP }];

function kill(l: ResultPromise, sig: NodeJS.Signals): void {
  if (l.pid === undefined || l.exitCode !== null) return;
  try {
    process.kill(l.pid, sig);
  } catch {
    // already gone
  }
}

/**
 * One TCP connection from `from` to `to` with a listener in `at` bound to `listen`;
 * returns the source address the listener saw, or null when it got no connection.
 * `dstPort` differs from the listening port only through a REDIRECT.
 */
async function connect(from: string, at: string, listen: string, to: string, ports?: { listen: number; dst: number }): Promise<string | null> {
  const p = ports?.listen ?? port++;
  const l = execa('ip', ['netns', 'exec', at, 'nc', '-n', '-v', '-l', listen, String(p)], { reject: false, timeout: 8_000, all: true });
  listeners.add(l);
  try {
    // Wait until it listens, not a fixed sleep.
    for (let i = 0; i < 50; i++) {
      if ((await ns(at, 'ss', '-Hltn', `sport = :${p}`)).stdout.trim() !== '') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await execa('ip', ['netns', 'exec', from, 'nc', '-n', '-N', '-w', '2', to, String(ports?.dst ?? p)], { input: 'x\n', reject: false, timeout: 6_000 });
    await new Promise((r) => setTimeout(r, 100));
    kill(l, 'SIGTERM'); // no connection: the listener would wait for its timeout
    const r = await l;
    return /Connection received on (\S+)/.exec(r.all ?? '')?.[1] ?? null;
  } finally {
    kill(l, 'SIGKILL');
    listeners.delete(l);
  }
}

async function saveAll(): Promise<string> {
  const [v4, v6] = await Promise.all([ns(R, 'iptables-save'), ns(R, 'ip6tables-save')]);
  return normaliseSave(v4.stdout) + normaliseSave(v6.stdout);
}

before(async () => {
  for (const n of [VM, R, EXT]) await execa('ip', ['netns', 'add', n]);
  await execa('ip', ['-n', R, 'link', 'add', QR, 'type', 'veth', 'peer', 'name', 'vm0', 'netns', VM]);
  await execa('ip', ['-n', R, 'link', 'add', QG, 'type', 'veth', 'peer', 'name', 'ext0', 'netns', EXT]);
  const batch = async (n: string, lines: string[]) => execa('ip', ['-n', n, '-batch', '-'], { input: `${lines.join('\n')}\n` });
  await batch(VM, ['link set lo up', 'link set vm0 up', `addr add ${VM_IP}/24 dev vm0`, `route add default via 10.${N}.0.1`]);
  await batch(R, ['link set lo up', `link set ${QR} up`, `link set ${QG} up`, `addr add 10.${N}.0.1/24 dev ${QR}`, `addr add ${GW_IP}/24 dev ${QG}`]);
  await batch(EXT, ['link set lo up', 'link set ext0 up', `addr add ${EXT_IP}/24 dev ext0`]);
  // The agent's job (a sysctl op in agents/l3/kernel.ts), not RouterNat's.
  await ns(R, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
});

after(async () => {
  for (const l of listeners) kill(l, 'SIGKILL');
  for (const n of [VM, R, EXT]) await execa('ip', ['netns', 'del', n], { reject: false });
});

test('without NAT rules the VM cannot reach the external network (negative control)', async () => {
  assert.equal(await connect(VM, EXT, EXT_IP, EXT_IP), null);
});

test('SNAT: the external side sees the gateway address; re-apply is a no-op', async () => {
  const first = await nat.apply(desired(), R);
  assert.deepEqual(first.changed, { 4: true, 6: true });
  assert.equal(await connect(VM, EXT, EXT_IP, EXT_IP), GW_IP);
  const before = await saveAll();
  const again = await nat.apply(desired(), R);
  assert.deepEqual(again.changed, { 4: false, 6: false });
  assert.equal(again.commands, 2, 'two reads, nothing else');
  assert.equal(await saveAll(), before);
});

test('every rendered rule reads back from iptables-save exactly as rendered', async () => {
  const d = desired(WITH_FIP);
  await nat.apply(d, R);
  const plan = await nat.plan(d, R);
  assert.equal(plan[4], null, plan[4] ?? '');
  assert.equal(plan[6], null, plan[6] ?? '');
  await nat.apply(desired(), R);
});

test('metadata: a VM request to 169.254.169.254:80 lands on port 9697 in the router', async () => {
  assert.equal(await connect(VM, R, '0.0.0.0', '169.254.169.254', { listen: 9697, dst: 80 }), VM_IP);
});

test('floating IP: reachable from outside at the floating IP, outgoing traffic SNATed to it; removal cuts it', async () => {
  // The floating IP's address on the gateway device is the agent's job (ip addr), not RouterNat's.
  await ns(R, 'ip', 'addr', 'add', `${FIP}/32`, 'dev', QG);
  const r = await nat.apply(desired(WITH_FIP), R);
  assert.equal(r.changed[4], true);
  assert.equal(await connect(EXT, VM, VM_IP, FIP), EXT_IP, 'DNAT to the fixed IP, source kept');
  assert.equal(await connect(VM, EXT, EXT_IP, EXT_IP), FIP, 'egress SNATed to the floating IP');

  // An entry the removal must clear: a ping flow through the floating IP.
  await ns(EXT, 'ping', '-n', '-c', '1', '-W', '1', FIP);
  assert.match((await ns(R, 'conntrack', '-L', '-d', FIP)).stdout, /dst=198\.51\.100\.50/);

  const removed = await nat.apply(desired(), R);
  assert.deepEqual(removed.removedFloatingIps, [FIP]);
  assert.equal((await ns(R, 'conntrack', '-L', '-d', FIP)).stdout.trim(), '', 'conntrack entries for the floating IP deleted');
  assert.equal(await connect(EXT, VM, VM_IP, FIP), null, 'new connections to the floating IP no longer reach the VM');
  assert.equal(await connect(VM, EXT, EXT_IP, EXT_IP), GW_IP, 'the VM is back behind the gateway address');
  await ns(R, 'ip', 'addr', 'del', `${FIP}/32`, 'dev', QG);
});

test('a rule and a jump deleted by hand are restored by the next apply', async () => {
  await nat.apply(desired(), R);
  const wanted = await saveAll();
  await ns(R, 'iptables', '-t', 'nat', '-D', `${W}-snat`, '-o', QG, '-j', 'SNAT', '--to-source', GW_IP, '--random-fully');
  await ns(R, 'iptables', '-t', 'nat', '-D', 'POSTROUTING', '-j', 'neutron-postrouting-bottom');
  assert.equal(await connect(VM, EXT, EXT_IP, EXT_IP), null, 'without SNAT the reply has no way back');
  const r = await nat.apply(desired(), R);
  assert.equal(r.changed[4], true);
  assert.equal(r.changed[6], false);
  assert.equal(await saveAll(), wanted);
  assert.equal(await connect(VM, EXT, EXT_IP, EXT_IP), GW_IP);
});

test('rules that are not ours survive an apply', async () => {
  await ns(R, 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-s', '192.0.2.0/24', '-j', 'MASQUERADE');
  await nat.apply(desired(WITH_FIP), R);
  assert.match((await ns(R, 'iptables-save', '-t', 'nat')).stdout, /-A POSTROUTING -s 192\.0\.2\.0\/24 -j MASQUERADE/);
  await nat.apply(desired(), R);
});
