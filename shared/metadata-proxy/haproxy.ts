/**
 * Pure renderer of the haproxy configuration that serves metadata inside a
 * namespace, with the same text as Neutron's `_HAPROXY_CONFIG_TEMPLATE`
 * (neutron/agent/metadata/driver.py), so operators, monitoring and the Python
 * agents' files look the same — including the whitespace-only line left where the
 * optional IPv6 bind goes.
 *
 * - qdhcp: bind `169.254.169.254:80`, header X-Neutron-Network-ID.
 * - qrouter: bind `0.0.0.0:<metadata_port>` (9697), reached through the NAT rule
 *   `-d 169.254.169.254/32 -i qr-+ -p tcp --dport 80 -j REDIRECT --to-ports 9697`;
 *   header X-Neutron-Router-ID.
 * The other header is deleted so a client cannot pass both (the metadata agent
 * drops such requests) or spoof the one we set (`set-header` replaces it).
 */
import { join } from 'node:path';
import { OpError } from '../exec/errors.js';
import { assertInt, assertIp, assertUuid, InvalidNameError } from '../exec/names.js';

export const METADATA_V4_IP = '169.254.169.254';
/** Port the qdhcp proxy binds (the guests' port). */
export const METADATA_PORT = 80;
/** Default `metadata_port` of the L3 agent (the qrouter proxy behind the REDIRECT). */
export const L3_METADATA_PORT = 9697;
/** Neutron's PROXY_CONFIG_DIR under state_path. */
export const PROXY_CONFIG_DIR = 'ns-metadata-proxy';
/** Neutron's METADATA_SERVICE_NAME (log-tag) and ProcessManager service (pid file suffix). */
const SERVICE_NAME = 'metadata-proxy';
const PID_SERVICE = 'haproxy';

export type MetadataResource = { kind: 'network'; id: string } | { kind: 'router'; id: string };

export interface HaproxyConfigInput {
  resource: MetadataResource;
  /** The metadata agent's socket, `$state_path/metadata_proxy` by default. */
  unixSocketPath: string;
  /** `169.254.169.254` (qdhcp), `0.0.0.0` (qrouter), or `::` where Neutron binds IPv6 too. */
  bindAddress: string;
  port: number;
  /** Names, not numbers: Neutron resolves uids/gids to names first (see user-group.ts). */
  user: string;
  group: string;
  pidFile: string;
  /** `debug` when the agent runs with debug; default `info`. */
  logLevel?: 'info' | 'debug';
  /** The extra `bind <v6>:<port> interface <dev>` of a qdhcp proxy serving fe80::a9fe:a9fe. */
  bindV6?: { address: string; interface: string };
}

export function renderHaproxyConfig(i: HaproxyConfigInput): string {
  assertUuid(i.resource.id);
  assertIp(i.bindAddress);
  assertInt('metadata port', i.port, 1, 65535);
  assertPath('unix socket path', i.unixSocketPath);
  assertPath('pid file', i.pidFile);
  assertAccount('user', i.user);
  assertAccount('group', i.group);
  let bindV6 = '';
  if (i.bindV6 !== undefined) {
    assertIp(i.bindV6.address, 6);
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(i.bindV6.interface)) throw new InvalidNameError('interface name', i.bindV6.interface, 'not a plain interface name');
    bindV6 = `bind ${i.bindV6.address}:${i.port} interface ${i.bindV6.interface}`;
  }
  const [resType, resTypeDel] = i.resource.kind === 'network' ? ['Network', 'Router'] : ['Router', 'Network'];
  return `
global
    log         /dev/log local0 ${i.logLevel ?? 'info'}
    log-tag     haproxy-${SERVICE_NAME}-${i.resource.id}
    user        ${i.user}
    group       ${i.group}
    maxconn     1024
    pidfile     ${i.pidFile}
    daemon

defaults
    log global
    mode http
    option httplog
    option dontlognull
    option http-server-close
    option forwardfor
    retries                 3
    timeout http-request    30s
    timeout connect         30s
    timeout client          32s
    timeout server          32s
    timeout http-keep-alive 30s

listen listener
    bind ${i.bindAddress}:${i.port}
    ${bindV6}
    server metadata ${i.unixSocketPath}
    http-request del-header X-Neutron-${resTypeDel}-ID
    http-request set-header X-Neutron-${resType}-ID ${i.resource.id}
`;
}

/** `$state_path/ns-metadata-proxy/<id>.conf`: the id in the path is what identifies the process. */
export function haproxyConfigPath(statePath: string, resourceId: string): string {
  assertUuid(resourceId);
  return join(statePath, PROXY_CONFIG_DIR, `${resourceId}.conf`);
}

/** Neutron's ProcessManager pid file: `$external_pids/<id>.pid.haproxy`. */
export function haproxyPidFile(externalPidsDir: string, resourceId: string): string {
  assertUuid(resourceId);
  return join(externalPidsDir, `${resourceId}.pid.${PID_SERVICE}`);
}

/** `haproxy -f <conf>`; the config path carries the resource id (the cmdline marker). */
export function haproxyArgv(confPath: string, binary = 'haproxy'): string[] {
  assertPath('config path', confPath);
  return [binary, '-f', confPath];
}

/** An absolute path that cannot break a config line (haproxy splits on whitespace, `#` comments). */
function assertPath(what: string, p: string): void {
  if (!p.startsWith('/') || /[\s#"'\\\0]/.test(p)) throw new OpError(`${what} ${JSON.stringify(p)}: must be absolute, without whitespace, quotes or '#'`, 'FATAL');
}

function assertAccount(what: string, v: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/.test(v)) throw new InvalidNameError(what, v, 'not a user/group name');
}
