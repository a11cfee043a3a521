/**
 * oslo transport_url parsing: `rabbit://user:pass@h1:5672,user:pass@h2:5672/vhost`.
 * Each host carries its own credentials (oslo TransportURL.parse does not inherit
 * them between hosts); missing ones default to guest/guest like kombu.
 */
import { TransportUrlError } from './errors.js';

export interface TransportHost {
  hostname: string;
  port: number;
  username: string;
  password: string;
}

export interface TransportUrl {
  transport: 'rabbit';
  hosts: TransportHost[];
  /** RabbitMQ vhost: "/" when the URL path is empty or "/" (kombu's default). */
  virtualHost: string;
  query: Record<string, string>;
}

const DEFAULT_PORT = 5672;

export function parseTransportUrl(url: string): TransportUrl {
  if (typeof url !== 'string' || url.trim() === '') throw new TransportUrlError('url', 'transport_url is empty');
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/.exec(url.trim());
  if (!m) throw new TransportUrlError('url', 'transport_url is not of the form rabbit://user:pass@host:port/vhost');
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'rabbit' && scheme !== 'kombu+rabbit' && scheme !== 'amqp') {
    throw new TransportUrlError('scheme', `transport_url scheme "${scheme}" is not supported (use rabbit://)`);
  }
  const netloc = m[2] ?? '';
  const hosts: TransportHost[] = [];
  for (const part of netloc.split(',')) {
    if (part === '') continue;
    hosts.push(parseHost(part));
  }
  if (hosts.length === 0) throw new TransportUrlError('host', 'transport_url has no host');
  const path = m[3] ?? '';
  let virtualHost: string;
  try {
    virtualHost = path === '' || path === '/' ? '/' : decodeURIComponent(path.slice(1));
  } catch {
    throw new TransportUrlError('vhost', 'transport_url virtual host is not valid percent-encoding');
  }
  const query: Record<string, string> = {};
  if (m[4]) for (const [k, v] of new URLSearchParams(m[4].slice(1))) query[k] = v;
  return { transport: 'rabbit', hosts, virtualHost, query };
}

function parseHost(part: string): TransportHost {
  let creds = '';
  let hostport = part;
  const at = part.lastIndexOf('@');
  if (at >= 0) {
    creds = part.slice(0, at);
    hostport = part.slice(at + 1);
  }
  let username = 'guest';
  let password = 'guest';
  if (at >= 0) {
    const colon = creds.indexOf(':');
    const rawUser = colon >= 0 ? creds.slice(0, colon) : creds;
    const rawPass = colon >= 0 ? creds.slice(colon + 1) : '';
    try {
      username = decodeURIComponent(rawUser) || 'guest';
      password = colon >= 0 ? decodeURIComponent(rawPass) : 'guest';
    } catch {
      // Do not echo the credentials: they may hold the password.
      throw new TransportUrlError('url', 'transport_url credentials are not valid percent-encoding');
    }
  }
  let hostname: string;
  let portText: string | undefined;
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close < 0) throw new TransportUrlError('host', `transport_url host "${hostport}" has an unclosed IPv6 bracket`);
    hostname = hostport.slice(1, close);
    const rest = hostport.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) throw new TransportUrlError('host', `transport_url host "${hostport}" is malformed`);
    portText = rest === '' ? undefined : rest.slice(1);
  } else {
    const colon = hostport.lastIndexOf(':');
    hostname = colon >= 0 ? hostport.slice(0, colon) : hostport;
    portText = colon >= 0 ? hostport.slice(colon + 1) : undefined;
  }
  if (hostname === '') throw new TransportUrlError('host', 'transport_url has a host entry without a host name');
  let port = DEFAULT_PORT;
  if (portText !== undefined && portText !== '') {
    if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw new TransportUrlError('port', `transport_url port "${portText}" of host ${hostname} is not a port number`);
    }
    port = Number(portText);
  }
  return { hostname, port, username, password };
}

/** The URL with every password replaced by "***": the only form allowed in logs. */
export function maskTransportUrl(u: TransportUrl): string {
  const hosts = u.hosts.map((h) => maskHost(h)).join(',');
  const vhost = u.virtualHost === '/' ? '/' : `/${encodeURIComponent(u.virtualHost)}`;
  return `rabbit://${hosts}${vhost}`;
}

export function maskHost(h: TransportHost): string {
  const host = h.hostname.includes(':') ? `[${h.hostname}]` : h.hostname;
  return `${encodeURIComponent(h.username)}:***@${host}:${h.port}`;
}

/** Best effort masking of a raw string that failed to parse (for error logs). */
export function maskRawTransportUrl(raw: string): string {
  return raw.replace(/(\/\/|,)([^:@/,]*):[^@/,]*@/g, '$1$2:***@');
}
