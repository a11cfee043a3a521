/**
 * Reads for the interface-driver integration tests: a namespace as the DHCP / L3
 * agents read it (same shared readers), one link, and OVSDB rows through the test's
 * own OVS instance. Plus the cleanup of namespaces made by the code under test.
 */
import { execa } from 'execa';
import type { CommandRunner } from '../../../shared/exec/command-runner.js';
import { readAddresses, readLinks } from '../../../shared/drivers/ip-links.js';
import { ovsdbMap, ovsdbSet } from '../../../shared/drivers/ovs/ovs-vsctl.js';
import type { ActualDhcpNetns } from '../../../agents/dhcp/kernel.js';
import type { ActualRouterNetns } from '../../../agents/l3/kernel.js';
import type { OvsInstance } from '../../harness/ovs.js';

async function netnsExists(runner: CommandRunner, netns: string): Promise<boolean> {
  const list = await runner.run(['ip', '-json', 'netns', 'list']).then((r) => JSON.parse(r.stdout || '[]') as Array<{ name: string }>, () => []);
  return list.some((n) => n.name === netns);
}

/** The qdhcp namespace as the DHCP agent reads it (links, addresses, default route). */
export async function readDhcpNs(runner: CommandRunner, netns: string): Promise<ActualDhcpNetns> {
  if (!(await netnsExists(runner, netns))) return { exists: false, links: new Map(), addresses: [], defaultVia: undefined };
  const [links, addresses, routes] = await Promise.all([
    readLinks(runner, netns),
    readAddresses(runner, netns),
    runner.run(['ip', '-json', 'route', 'show', 'default'], { netns }).then((r) => JSON.parse(r.stdout || '[]') as Array<{ gateway?: string }>),
  ]);
  return { exists: true, links, addresses, defaultVia: routes[0]?.gateway };
}

/** The qrouter namespace as the L3 agent reads it (routes of proto 75, ip_forward). */
export async function readRouterNs(runner: CommandRunner, netns: string): Promise<ActualRouterNetns> {
  if (!(await netnsExists(runner, netns))) return { exists: false, links: new Map(), addresses: [], ownRoutes: [], forwarding: false };
  const [links, addresses, routes, fwd] = await Promise.all([
    readLinks(runner, netns),
    readAddresses(runner, netns),
    runner.run(['ip', '-json', 'route', 'show', 'proto', '75'], { netns }).then((r) => JSON.parse(r.stdout || '[]') as Array<{ dst?: string; gateway?: string }>),
    runner.run(['sysctl', '-n', 'net.ipv4.ip_forward'], { netns }).then((r) => r.stdout.trim() === '1'),
  ]);
  return { exists: true, links, addresses, ownRoutes: routes.filter((x) => x.dst).map((x) => ({ dst: x.dst!, via: x.gateway })), forwarding: fwd };
}

export interface JsonLink { ifname: string; mtu: number; address?: string; flags: string[] }

/** One link (root namespace when `netns` is undefined), or undefined when absent. */
export async function linkIn(netns: string | undefined, name: string): Promise<JsonLink | undefined> {
  const r = await execa('ip', [...(netns ? ['-n', netns] : []), '-json', 'link', 'show', 'dev', name], { reject: false });
  if (r.exitCode !== 0) return undefined;
  return (JSON.parse(String(r.stdout)) as JsonLink[])[0];
}

async function row(ovs: OvsInstance, table: string, name: string, columns: string[]): Promise<Record<string, unknown>> {
  const out = JSON.parse(await ovs.vsctl(['--format=json', `--columns=${columns.join(',')}`, 'list', table, name])) as { headings: string[]; data: unknown[][] };
  const data = out.data[0] ?? [];
  return Object.fromEntries(out.headings.map((h, i) => [h, data[i]]));
}

export async function ifaceRow(ovs: OvsInstance, name: string): Promise<{ externalIds: Record<string, string>; ofport: number; error: string }> {
  const r = await row(ovs, 'Interface', name, ['external_ids', 'ofport', 'error']);
  const ofport = ovsdbSet(r['ofport'])[0];
  const error = ovsdbSet(r['error'])[0];
  return { externalIds: ovsdbMap(r['external_ids']), ofport: typeof ofport === 'number' ? ofport : -1, error: typeof error === 'string' ? error : '' };
}

export async function portRow(ovs: OvsInstance, name: string): Promise<{ tag: number | undefined; vlanMode: string | undefined; trunks: number[] }> {
  const r = await row(ovs, 'Port', name, ['tag', 'vlan_mode', 'trunks']);
  const tag = ovsdbSet(r['tag'])[0];
  const mode = ovsdbSet(r['vlan_mode'])[0];
  return { tag: typeof tag === 'number' ? tag : undefined, vlanMode: typeof mode === 'string' ? mode : undefined, trunks: ovsdbSet(r['trunks']).filter((x): x is number => typeof x === 'number') };
}

/**
 * Deletes namespaces the code under test created (qdhcp-<uuid>, qrouter-<uuid> with
 * per-run random ids), killing what this test started inside them first.
 */
export async function dropNamespaces(names: readonly string[]): Promise<void> {
  for (const n of names) {
    const pids = await execa('ip', ['netns', 'pids', n], { reject: false });
    for (const p of String(pids.stdout).split('\n').filter(Boolean)) {
      try { process.kill(Number(p), 'SIGKILL'); } catch { /* gone */ }
    }
    await execa('ip', ['netns', 'del', n], { reject: false });
  }
}
