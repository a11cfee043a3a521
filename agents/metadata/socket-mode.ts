/**
 * metadata_proxy_socket_mode as Neutron resolves it (UnixDomainMetadataProxy.
 * _get_socket_mode): `deduce` looks at who will connect, the namespace proxies
 * running as metadata_proxy_user/group:
 * - no user, 0, root, or the agent's effective user (id or name) → user (0644);
 * - else no group or the agent's effective group (id or name) → group (0664);
 * - else all (0666).
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';

export type SocketMode = 'deduce' | 'user' | 'group' | 'all';

export const MODE_BITS = { user: 0o644, group: 0o664, all: 0o666 } as const;

export interface Identity {
  euid: number;
  egid: number;
  userName: string | null;
  groupName: string | null;
}

/** The effective uid/gid and their names (from /etc/group: node has no getgrgid). */
export function currentIdentity(): Identity {
  const egid = process.getegid?.() ?? 0;
  let userName: string | null = null;
  try { userName = userInfo().username; } catch { /* no passwd entry */ }
  let groupName: string | null = null;
  try {
    const line = readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.split(':')[2] === String(egid));
    groupName = line?.split(':')[0] ?? null;
  } catch { /* no /etc/group */ }
  return { euid: process.geteuid?.() ?? 0, egid, userName, groupName };
}

export function socketModeBits(mode: SocketMode, proxyUser: string, proxyGroup: string, id: Identity): number {
  if (mode !== 'deduce') return MODE_BITS[mode];
  const isUser = !proxyUser || proxyUser === '0' || proxyUser === 'root' || proxyUser === String(id.euid) || proxyUser === id.userName;
  if (isUser) return MODE_BITS.user;
  const isGroup = !proxyGroup || proxyGroup === String(id.egid) || proxyGroup === id.groupName;
  return isGroup ? MODE_BITS.group : MODE_BITS.all;
}
