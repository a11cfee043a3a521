/**
 * How the benches plug a "VM" as nova/os-vif would: the device names a port gets on the
 * node (tap<port[:11]>, its VM-side peer v<port[:11]>, the linuxbridge agent's
 * brq<net[:11]>), and `ip -batch` for plugging many ports in one process.
 */
import { spawn } from 'node:child_process';

export const tapOf = (portId: string) => `tap${portId.slice(0, 11)}`;
export const peerOf = (portId: string) => `v${portId.slice(0, 11)}`;
export const bridgeOf = (networkId: string) => `brq${networkId.slice(0, 11)}`;

/** `ip [-n ns] [-force] -batch -`; resolves with the exit code and stderr. */
export function ipBatch(args: string[], lines: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', [...args, '-batch', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString('utf8'); });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stderr }));
    child.stdin.end(lines.map((l) => `${l}\n`).join(''));
  });
}
