/**
 * Simulated instances: a "VM" namespace whose eth0 is the peer of tap<port[:11]> in
 * a TestNode, plugged as Nova/os-vif does on a linuxbridge host (bridge brq<net[:11]>
 * created if missing, tap enslaved, tap up), on an Open vSwitch host (the tap in
 * br-int), or on an Open vSwitch host with the hybrid plug (tap in qbr<port[:11]>,
 * veth qvb/qvo into br-int). VM namespaces carry the per-run prefix; the devices live
 * in the node's namespace.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestNode } from './node-netns.js';

const run = promisify(execFile);

/** cidr unset: no address, the VM asks DHCP for one. */
export interface VmSpec { netns: string; portId: string; networkId: string; mac: string; cidr?: string; gateway?: string; plugToBridge?: boolean }

export class TestVm {
  constructor(readonly spec: VmSpec, readonly node: TestNode) {}

  get tap(): string { return `tap${this.spec.portId.slice(0, 11)}`; }
  /** os-vif's hybrid-plug devices (iptables_hybrid): Linux bridge, its veth end, the br-int veth end. */
  get qbr(): string { return `qbr${this.spec.portId.slice(0, 11)}`; }
  get qvb(): string { return `qvb${this.spec.portId.slice(0, 11)}`; }
  get qvo(): string { return `qvo${this.spec.portId.slice(0, 11)}`; }
  get bridge(): string { return `brq${this.spec.networkId.slice(0, 11)}`; }

  static async plug(node: TestNode, spec: VmSpec): Promise<TestVm> {
    const vm = new TestVm(spec, node);
    await run('ip', ['netns', 'add', spec.netns]);
    try {
      await run('ip', ['-n', spec.netns, 'link', 'set', 'lo', 'up']);
      await run('ip', ['-n', node.netns, 'link', 'add', vm.tap, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', spec.netns]);
      await run('ip', ['-n', spec.netns, 'link', 'set', 'eth0', 'address', spec.mac]);
      if (spec.cidr) await run('ip', ['-n', spec.netns, 'addr', 'add', spec.cidr, 'dev', 'eth0']);
      await run('ip', ['-n', spec.netns, 'link', 'set', 'eth0', 'up']);
      if (spec.gateway) await run('ip', ['-n', spec.netns, 'route', 'add', 'default', 'via', spec.gateway]);
      if (spec.plugToBridge !== false) {
        // os-vif: create the bridge if the agent has not yet, enslave the tap, set it up.
        await run('ip', ['-n', node.netns, 'link', 'add', vm.bridge, 'type', 'bridge']).catch(() => undefined);
        await run('ip', ['-n', node.netns, 'link', 'set', vm.bridge, 'up']);
        await run('ip', ['-n', node.netns, 'link', 'set', vm.tap, 'master', vm.bridge]);
      }
      await run('ip', ['-n', node.netns, 'link', 'set', vm.tap, 'up']);
    } catch (err) {
      await vm.unplug();
      throw err;
    }
    return vm;
  }

  /**
   * Plugs the VM as os-vif does on an Open vSwitch host: veth tap<port[:11]> added to
   * br-int in ONE ovs-vsctl transaction with the external_ids Nova sets (iface-id,
   * iface-status, attached-mac, vm-uuid). On the userspace (netdev) datapath the VM
   * side needs tx checksum offload off, or TCP fails (KERNEL.md §1).
   */
  static async plugOvs(node: TestNode, spec: VmSpec & { vsctl: (args: string[]) => Promise<string>; bridge?: string; mtu?: number }): Promise<TestVm> {
    const vm = new TestVm({ ...spec, plugToBridge: false }, node);
    vm.ovs = { vsctl: spec.vsctl, bridge: spec.bridge ?? 'br-int', port: vm.tap };
    await run('ip', ['netns', 'add', spec.netns]);
    try {
      await run('ip', ['-n', spec.netns, 'link', 'set', 'lo', 'up']);
      await run('ip', ['-n', node.netns, 'link', 'add', vm.tap, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', spec.netns]);
      await run('ip', ['-n', spec.netns, 'link', 'set', 'eth0', 'address', spec.mac]);
      if (spec.mtu) {
        await run('ip', ['-n', spec.netns, 'link', 'set', 'eth0', 'mtu', String(spec.mtu)]);
        await run('ip', ['-n', node.netns, 'link', 'set', vm.tap, 'mtu', String(spec.mtu)]);
      }
      await run('ip', ['netns', 'exec', spec.netns, 'ethtool', '-K', 'eth0', 'tx', 'off']).catch(() => undefined);
      if (spec.cidr) await run('ip', ['-n', spec.netns, 'addr', 'add', spec.cidr, 'dev', 'eth0']);
      await run('ip', ['-n', spec.netns, 'link', 'set', 'eth0', 'up']);
      if (spec.gateway) await run('ip', ['-n', spec.netns, 'route', 'add', 'default', 'via', spec.gateway]);
      await run('ip', ['-n', node.netns, 'link', 'set', vm.tap, 'up']);
      await spec.vsctl(['--', '--may-exist', 'add-port', vm.ovs.bridge, vm.tap, '--', 'set', 'Interface', vm.tap,
        `external_ids:iface-id=${spec.portId}`, 'external_ids:iface-status=active', `external_ids:attached-mac="${spec.mac}"`, `external_ids:vm-uuid=${spec.netns}`]);
    } catch (err) {
      await vm.unplug();
      throw err;
    }
    return vm;
  }

  /**
   * Plugs the VM as os-vif's hybrid plug does on an Open vSwitch host whose agent runs
   * firewall_driver = iptables_hybrid: Linux bridge qbr<port[:11]> (forward delay 0, no
   * STP, no IPv6) holding the VM's tap<port[:11]> (a veth whose peer is the VM's eth0)
   * and qvb<port[:11]>, whose veth peer qvo<port[:11]> is added to br-int in ONE
   * ovs-vsctl transaction with Nova's external_ids. Every device gets the MTU; tx
   * checksum offload is off on the VM's eth0 and on qvb/qvo, since on the userspace
   * (netdev) datapath a frame left with a partial checksum breaks TCP (KERNEL.md §1).
   * unplug() removes all of it.
   */
  static async plugOvsHybrid(node: TestNode, spec: VmSpec & { vsctl: (args: string[]) => Promise<string>; bridge?: string; mtu?: number }): Promise<TestVm> {
    const vm = new TestVm({ ...spec, plugToBridge: false }, node);
    vm.ovs = { vsctl: spec.vsctl, bridge: spec.bridge ?? 'br-int', port: vm.qvo };
    vm.hybrid = true;
    const inNode = (args: string[]) => run('ip', ['-n', node.netns, ...args]);
    const mtu = spec.mtu ? ['mtu', String(spec.mtu)] : [];
    await run('ip', ['netns', 'add', spec.netns]);
    try {
      await run('ip', ['-n', spec.netns, 'link', 'set', 'lo', 'up']);
      // qbr: os-vif's linux_net.ensure_bridge (setfd 0, stp off, IPv6 off on the bridge).
      await inNode(['link', 'add', vm.qbr, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0']);
      await run('ip', ['netns', 'exec', node.netns, 'sysctl', '-q', '-w', `net.ipv6.conf.${vm.qbr}.disable_ipv6=1`]).catch(() => undefined);
      await inNode(['link', 'set', vm.qbr, 'up']);
      // qvb/qvo: os-vif's create_veth_pair (both up, promiscuous, MTU set).
      await inNode(['link', 'add', vm.qvb, ...mtu, 'type', 'veth', 'peer', 'name', vm.qvo, ...mtu]);
      for (const dev of [vm.qvb, vm.qvo]) {
        await run('ip', ['netns', 'exec', node.netns, 'ethtool', '-K', dev, 'tx', 'off']).catch(() => undefined);
        await inNode(['link', 'set', dev, 'promisc', 'on', 'up']);
      }
      await inNode(['link', 'set', vm.qvb, 'master', vm.qbr]);
      // The VM's tap (libvirt's tun device; here a veth to the VM's eth0), in qbr.
      await inNode(['link', 'add', vm.tap, ...mtu, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', spec.netns]);
      await run('ip', ['-n', spec.netns, 'link', 'set', 'eth0', 'address', spec.mac, ...mtu]);
      await run('ip', ['netns', 'exec', spec.netns, 'ethtool', '-K', 'eth0', 'tx', 'off']).catch(() => undefined);
      if (spec.cidr) await run('ip', ['-n', spec.netns, 'addr', 'add', spec.cidr, 'dev', 'eth0']);
      await run('ip', ['-n', spec.netns, 'link', 'set', 'eth0', 'up']);
      if (spec.gateway) await run('ip', ['-n', spec.netns, 'route', 'add', 'default', 'via', spec.gateway]);
      await inNode(['link', 'set', vm.tap, 'master', vm.qbr, 'up']);
      await spec.vsctl(['--', '--may-exist', 'add-port', vm.ovs.bridge, vm.qvo, '--', 'set', 'Interface', vm.qvo,
        `external_ids:iface-id=${spec.portId}`, 'external_ids:iface-status=active', `external_ids:attached-mac="${spec.mac}"`, `external_ids:vm-uuid=${spec.netns}`]);
    } catch (err) {
      await vm.unplug();
      throw err;
    }
    return vm;
  }

  private ovs: { vsctl: (args: string[]) => Promise<string>; bridge: string; port: string } | undefined;
  private hybrid = false;

  /** True when `count` pings to ip all come back (iputils ping, 1 s deadline each). */
  async ping(ip: string, count = 2, timeoutSec = 3): Promise<boolean> {
    try {
      await run('ip', ['netns', 'exec', this.spec.netns, 'ping', '-c', String(count), '-i', '0.2', '-W', '1', '-w', String(timeoutSec), ip]);
      return true;
    } catch {
      return false;
    }
  }

  async unplug(): Promise<void> {
    if (this.ovs) await this.ovs.vsctl(['--', '--if-exists', 'del-port', this.ovs.bridge, this.ovs.port]).catch(() => undefined);
    await run('ip', ['-n', this.node.netns, 'link', 'del', this.tap]).catch(() => undefined);
    if (this.hybrid) {
      // Deleting qvb takes its peer qvo with it.
      await run('ip', ['-n', this.node.netns, 'link', 'del', this.qvb]).catch(() => undefined);
      await run('ip', ['-n', this.node.netns, 'link', 'del', this.qbr]).catch(() => undefined);
    }
    await run('ip', ['netns', 'del', this.spec.netns]).catch(() => undefined);
  }
}

export interface Lease { ip: string; subnet?: string; router?: string; dns?: string; mtu?: string; staticroutes?: string; domain?: string; lease?: string }

/**
 * Asks for a lease with busybox udhcpc inside the VM namespace. Its hook is our own
 * script, which only records what it was given: Debian's default hook would rewrite
 * the host's /etc/resolv.conf (namespaces share the host's mount namespace).
 */
export async function dhcpLease(vm: TestVm, tries = 6): Promise<Lease | undefined> {
  const { mkdtemp, writeFile, readFile, rm, chmod } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = await mkdtemp(join(tmpdir(), 'nucleon-udhcpc-'));
  const out = join(dir, 'lease.env');
  const script = join(dir, 'hook.sh');
  await writeFile(script, `#!/bin/sh\n[ "$1" = bound ] || [ "$1" = renew ] || exit 0\nenv | grep -E '^(ip|subnet|router|dns|mtu|staticroutes|domain|lease)=' > ${out}\n`);
  await chmod(script, 0o755);
  try {
    await run('ip', ['netns', 'exec', vm.spec.netns, 'busybox', 'udhcpc', '-i', 'eth0', '-q', '-n', '-f', '-t', String(tries), '-T', '1', '-A', '1', '-s', script, '-O', 'mtu', '-O', 'staticroutes']).catch(() => undefined);
    const text = await readFile(out, 'utf8').catch(() => '');
    if (!text) return undefined;
    const env = Object.fromEntries(text.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])) as Record<string, string>;
    return env['ip'] ? (env as unknown as Lease) : undefined;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
