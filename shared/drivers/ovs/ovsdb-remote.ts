/**
 * Parses `[ovs] ovsdb_connection` (OVS "active remote" syntax, as ovs-vsctl --db
 * takes it) into where a client connects. Pure.
 *
 * - `unix:PATH`                 a unix socket (ovsdb-server --remote=punix:PATH)
 * - `tcp:HOST:PORT`, `tcp:[V6]:PORT`; the port defaults to 6640 as in OVS.
 * - `punix:`/`ptcp:`/`pssl:` are passive (server-side) remotes: an agent cannot
 *   connect to those; rejected with a message saying so.
 * - `ssl:` needs the [ovs] ssl_* key/cert options, which nucleon does not implement.
 */
import { isIP } from 'node:net';
import { OvsdbConfigError } from './ovsdb-errors.js';

export type OvsdbRemote =
  | { kind: 'unix'; path: string }
  | { kind: 'tcp'; host: string; port: number };

/** OVS's default OVSDB TCP port (IANA "ovsdb"). */
export const OVSDB_DEFAULT_PORT = 6640;

// sun_path is 108 bytes including the terminating NUL.
const MAX_UNIX_PATH = 107;

export function parseOvsdbRemote(connection: string): OvsdbRemote {
  const colon = connection.indexOf(':');
  const scheme = colon < 0 ? connection : connection.slice(0, colon);
  const rest = colon < 0 ? '' : connection.slice(colon + 1);
  switch (scheme) {
    case 'unix': {
      if (rest === '') throw new OvsdbConfigError(connection, 'unix: needs a socket path');
      if (rest.includes('\0')) throw new OvsdbConfigError(connection, 'socket path contains NUL');
      if (Buffer.byteLength(rest) > MAX_UNIX_PATH) throw new OvsdbConfigError(connection, `socket path longer than ${MAX_UNIX_PATH} bytes`);
      return { kind: 'unix', path: rest };
    }
    case 'tcp':
      return { kind: 'tcp', ...parseHostPort(connection, rest) };
    case 'punix':
    case 'ptcp':
    case 'pssl':
      throw new OvsdbConfigError(connection, `${scheme}: is a passive (server-side) remote that ovsdb-server listens on; an agent connects to it with ${scheme.slice(1)}:`);
    case 'ssl':
      throw new OvsdbConfigError(connection, 'ssl: is not supported (no [ovs] ssl_* client certificates); use unix: or tcp:');
    default:
      throw new OvsdbConfigError(connection, 'expected unix:PATH or tcp:HOST:PORT');
  }
}

function parseHostPort(connection: string, rest: string): { host: string; port: number } {
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end < 0) throw new OvsdbConfigError(connection, 'unterminated [IPv6] address');
    host = rest.slice(1, end);
    const after = rest.slice(end + 1);
    if (after !== '' && !after.startsWith(':')) throw new OvsdbConfigError(connection, 'expected :PORT after ]');
    portText = after === '' ? undefined : after.slice(1);
    if (isIP(host) !== 6) throw new OvsdbConfigError(connection, `${host} is not an IPv6 address`);
  } else {
    const parts = rest.split(':');
    // An unbracketed IPv6 address is ambiguous with the port, as in OVS.
    if (parts.length > 2) throw new OvsdbConfigError(connection, 'write an IPv6 address in brackets: tcp:[ADDR]:PORT');
    host = parts[0] ?? '';
    portText = parts[1];
    if (host === '') throw new OvsdbConfigError(connection, 'tcp: needs a host');
    if (isIP(host) === 0 && !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(host)) throw new OvsdbConfigError(connection, `bad host ${JSON.stringify(host)}`);
  }
  if (portText === undefined) return { host, port: OVSDB_DEFAULT_PORT };
  if (!/^[0-9]{1,5}$/.test(portText)) throw new OvsdbConfigError(connection, `bad port ${JSON.stringify(portText)}`);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw new OvsdbConfigError(connection, `port ${port} out of range`);
  return { host, port };
}
