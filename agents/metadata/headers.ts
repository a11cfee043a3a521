/**
 * Validation of the headers the namespace proxy (haproxy in qdhcp-/qrouter-)
 * sets, before anything is looked up. Every verdict is the answer Neutron's
 * MetadataProxyHandler gives for the same request, only reached without an RPC:
 *
 * - both X-Neutron-Network-ID and X-Neutron-Router-ID: dropped as spoofed → 404;
 * - neither: Neutron's _get_ports raises TypeError → 500 (unknown error);
 * - X-Forwarded-For missing, repeated or not one IP address: netaddr raises → 500;
 * - an id that is not a UUID can match no port: Neutron asks and finds none → 404.
 *
 * A repeated header (two X-Forwarded-For lines: the VM sent one and haproxy
 * appended the real one) is refused, never reduced to its first value, which
 * the VM would control.
 */
import { parseRemoteAddress, type RemoteAddress } from './ip.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type ProxyTarget = { kind: 'network'; networkId: string } | { kind: 'router'; routerId: string };

export type HeaderVerdict =
  | { ok: true; forwardedFor: string; remote: RemoteAddress; target: ProxyTarget }
  | { ok: false; status: 404 | 500; reason: 'both-ids' | 'no-id' | 'bad-id' | 'bad-forwarded-for' };

/** Header values as node's `headersDistinct` gives them: one array entry per header line. */
export type DistinctHeaders = Readonly<Record<string, readonly string[] | undefined>>;

/** The one value of a header, '' when absent or empty, null when repeated. */
function single(headers: DistinctHeaders, name: string): string | null {
  const v = headers[name];
  if (!v || v.length === 0) return '';
  return v.length === 1 ? v[0]!.trim() : null;
}

export function checkHeaders(headers: DistinctHeaders): HeaderVerdict {
  const networkId = single(headers, 'x-neutron-network-id');
  const routerId = single(headers, 'x-neutron-router-id');
  // Neutron tests truthiness: an empty header counts as absent.
  if (networkId !== '' && routerId !== '') return { ok: false, status: 404, reason: 'both-ids' };
  const fwd = single(headers, 'x-forwarded-for');
  const remote = fwd ? parseRemoteAddress(fwd) : null;
  if (fwd === null || remote === null) return { ok: false, status: 500, reason: 'bad-forwarded-for' };
  if (networkId === '' && routerId === '') return { ok: false, status: 500, reason: 'no-id' };
  const id = (networkId || routerId) as string;
  if (!UUID.test(id)) return { ok: false, status: 404, reason: 'bad-id' };
  const target: ProxyTarget = networkId ? { kind: 'network', networkId: id } : { kind: 'router', routerId: id };
  return { ok: true, forwardedFor: fwd as string, remote, target };
}
