/**
 * Nucleon's own section, `[nucleon]`, read from the same files (oslo ignores
 * unknown sections, so the Python agents never see it). Kept minimal:
 *
 * - `control_socket`: path of the agent's local control socket for the `nucleon`
 *   CLI. Unset (null) lets the agent choose `$state_path/nucleon/<agent>.sock`.
 * - `metrics_address`: `host:port` (IPv6 as `[addr]:port`) on which the agent also
 *   serves `GET /metrics` over TCP for Prometheus. Unset (null): no TCP listener,
 *   metrics only on the control socket. Nothing else is served on that address.
 * - `resync_interval`: seconds between the periodic full passes.
 * - `resource_cache`: read by nucleon-linuxbridge-agent (the OVS agent always caches):
 *   device details and security-group info come from a local cache of Neutron objects
 *   (bulk_pull + neutron-vo pushes) instead of one RPC per batch of devices. False
 *   keeps the per-device get_devices_details_list / security_group_info_for_devices calls.
 * - `repair_own_links`: nucleon-linuxbridge-agent repairs its bridges and uplinks the
 *   moment the kernel reports them changed by hand (default), or only at periodic passes.
 *
 * Merge it into an agent schema with `mergeSchemas(DhcpAgentSchema, NucleonSchema)`.
 */
import { isIPv6 } from 'node:net';
import { ValueError } from '../errors.js';
import { defineSchema } from '../schema.js';
import { boolOpt, intOpt, isIpAddress, parseHostname, strOpt, type Opt } from '../types.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * `host:port` or `[v6]:port`; the host is an IP address or a host name, the port
 * 0..65535 (0: any free port, for tests). Throws ValueError with a short reason (the config loader adds the place).
 */
export function parseListenAddress(raw: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(raw.trim());
  if (!m) throw new ValueError('expected host:port or [ipv6]:port');
  const port = Number(m[3]);
  if (port > 65535) throw new ValueError(`port ${port} is outside 0..65535`);
  const v6 = m[1];
  if (v6 !== undefined) {
    if (!isIPv6(v6)) throw new ValueError(`"${v6}" is not an IPv6 address`);
    return { host: v6, port };
  }
  const host = m[2] as string;
  if (!isIpAddress(host, 4)) parseHostname(host);
  return { host, port };
}

const listenAddressOpt = (): Opt<string | null> => {
  const base = strOpt();
  return { ...base, parse: (raw: string) => (parseListenAddress(raw), raw.trim()) };
};

export const NucleonSchema = defineSchema({
  nucleon: {
    control_socket: strOpt(),
    metrics_address: listenAddressOpt(),
    /**
     * Seconds between full resyncs (drift repair and the link rescan safety net).
     * Python's agents have no such loop; 30 s bounds how long a hand-made change lasts.
     */
    resync_interval: intOpt({ default: 30, min: 1 }),
    /**
     * Answer device details and security-group info from the resource cache (default)
     * rather than asking the server for every new device: the server spends ~2.7 s on
     * get_devices_details_list for 50 devices. Linuxbridge agent only.
     */
    resource_cache: boolOpt({ default: true }),
    /**
     * Repair the agent's own bridges and uplinks (brq*, vxlan-*, the mapped interfaces)
     * as soon as the kernel reports one deleted, set down or detached by somebody else;
     * false leaves them to the periodic pass (and visible in `nucleon diff` until then).
     * Linuxbridge agent only; taps are always watched.
     */
    repair_own_links: boolOpt({ default: true }),
  },
});
