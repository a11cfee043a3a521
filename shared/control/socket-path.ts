/**
 * Where a daemon's control socket lives, shared by the daemons and the CLI:
 * `[nucleon] control_socket` when set, else `$state_path/nucleon/<kind>.sock`
 * (`/var/lib/neutron/nucleon/dhcp.sock` with Neutron's default state_path).
 */
import { join } from 'node:path';

export const DEFAULT_STATE_PATH = '/var/lib/neutron';
export const SOCKET_DIR_NAME = 'nucleon';

export function controlSocketDir(statePath: string = DEFAULT_STATE_PATH): string {
  return join(statePath, SOCKET_DIR_NAME);
}

/** `kind` is the short agent name (linuxbridge, ovs, l3, dhcp, metadata). */
export function controlSocketPath(kind: string, statePath: string = DEFAULT_STATE_PATH, configured?: string | null): string {
  return configured ? configured : join(controlSocketDir(statePath), `${kind}.sock`);
}
