/**
 * Neutron's haproxy config names user and group, while `metadata_proxy_user` /
 * `metadata_proxy_group` may be numbers (default: the agent's euid/egid). As
 * HaproxyConfigurator does, a number is looked up as an id first, then as a name.
 */
import { readFile } from 'node:fs/promises';
import { OpError } from '../exec/errors.js';

/** Name for `idOrName` in passwd/group text (`name:x:id:...` lines), or undefined. */
export function lookupAccountName(db: string, idOrName: string): string | undefined {
  const rows = db
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'));
  if (/^\d+$/.test(idOrName)) {
    const byId = rows.find((r) => r[2] === idOrName);
    if (byId?.[0]) return byId[0];
  }
  return rows.find((r) => r[0] === idOrName)?.[0];
}

/** Resolves user and group (ids or names) to names through /etc/passwd and /etc/group. */
export async function resolveUserGroup(user: string, group: string, files = { passwd: '/etc/passwd', group: '/etc/group' }): Promise<{ user: string; group: string }> {
  const [passwd, groups] = await Promise.all([readFile(files.passwd, 'utf8'), readFile(files.group, 'utf8')]);
  const u = lookupAccountName(passwd, user);
  if (u === undefined) throw new OpError(`Invalid user/uid: '${user}'`, 'FATAL');
  const g = lookupAccountName(groups, group);
  if (g === undefined) throw new OpError(`Invalid group/gid: '${group}'`, 'FATAL');
  return { user: u, group: g };
}
