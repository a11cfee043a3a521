/**
 * One qdhcp namespace as the kernel has it, read with one process: `ip -n NS -json
 * -batch -` running `addr show` (every link with its flags, MTU and MAC, and its
 * addresses) then `route show default`. The first version took four processes per
 * network (`ip netns list` and three `ip netns exec`), about 60 ms each on a loaded
 * host: with 51 networks that alone was 2–3 s of every periodic pass.
 *
 * `ip -n` enters the namespace itself (setns + a private /sys), no second exec as with
 * `ip netns exec`. A missing namespace is not an error: `exists: false`.
 */
import type { CommandRunner } from '../../shared/exec/command-runner.js';
import { CommandError } from '../../shared/exec/errors.js';
import { assertNetnsName } from '../../shared/exec/names.js';
import { parseIpLinks, type ActualAddress } from '../../shared/drivers/ip-links.js';
import type { ActualDhcpNetns } from './kernel.js';

/** The batch run inside the namespace; ip prints one JSON array per line, in this order. */
export const NETNS_READ_BATCH = 'addr show\nroute show default\n';

export function missingNetns(): ActualDhcpNetns {
  return { exists: false, links: new Map(), addresses: [], defaultVia: undefined };
}

interface AddrRow { ifname?: string; addr_info?: Array<{ family?: string; local?: string; prefixlen?: number; scope?: string }> }

/** Parses the two JSON arrays `ip -json -batch` printed for {@link NETNS_READ_BATCH}. */
export function parseNetnsRead(stdout: string): ActualDhcpNetns {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  if (lines.length !== 2) throw new Error(`ip -batch printed ${lines.length} JSON documents, expected 2 (addr show, route show default)`);
  const [addrJson, routeJson] = lines as [string, string];
  // `addr show` rows carry the link fields parseIpLinks reads (ifname, flags, mtu, address).
  const links = parseIpLinks(addrJson);
  const addresses: ActualAddress[] = [];
  for (const row of JSON.parse(addrJson) as AddrRow[]) {
    for (const a of row.addr_info ?? []) {
      if (!row.ifname || !a.local || a.prefixlen === undefined) continue;
      addresses.push({ dev: row.ifname, cidr: `${a.local}/${a.prefixlen}`, family: a.family === 'inet6' ? 6 : 4, scope: a.scope ?? 'global' });
    }
  }
  const routes = JSON.parse(routeJson) as Array<{ gateway?: string }>;
  return { exists: true, links, addresses, defaultVia: routes[0]?.gateway };
}

export function isMissingNetns(err: unknown): boolean {
  return err instanceof CommandError && /Cannot open network namespace/.test(err.stderr);
}

export async function readDhcpNetns(runner: CommandRunner, netns: string): Promise<ActualDhcpNetns> {
  assertNetnsName(netns);
  try {
    const r = await runner.run(['ip', '-n', netns, '-json', '-batch', '-'], { input: NETNS_READ_BATCH });
    return parseNetnsRead(r.stdout);
  } catch (err) {
    if (isMissingNetns(err)) return missingNetns();
    throw err;
  }
}

/**
 * Reads many namespaces, `concurrency` processes at a time. A namespace whose read
 * failed maps to its error (the caller repairs that network the slow way).
 */
export async function readDhcpNetnsMany(runner: CommandRunner, names: readonly string[], concurrency = 8): Promise<Map<string, ActualDhcpNetns | Error>> {
  const out = new Map<string, ActualDhcpNetns | Error>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const name = names[next++]!;
      out.set(name, await readDhcpNetns(runner, name).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, names.length) }, worker));
  return out;
}
