/**
 * Runs py/setup_dhcp_port.py (Neutron's own DeviceManager.setup_dhcp_port with a
 * recording fake plugin) for a batch of networks. `skipReason` is set when
 * /usr/bin/python3 cannot import neutron, so the comparison skips with a printed reason.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
const SCRIPT = join(repoRoot, 'test', 'unit', 'dhcp-agent', 'py', 'setup_dhcp_port.py');
const PY = '/usr/bin/python3';

export interface PyCall { method: string; args: Record<string, unknown> }
export interface PySetup { device_id: string; calls: PyCall[] }

function probe(): string | false {
  try {
    execFileSync(PY, ['-c', 'import neutron.agent.linux.dhcp'], { stdio: 'ignore', timeout: 60_000 });
    return false;
  } catch {
    return `${PY} cannot import neutron.agent.linux.dhcp: no DeviceManager to compare with`;
  }
}

export const skipReason: string | false = probe();
if (skipReason) console.log(`# skipping DeviceManager comparisons: ${skipReason}`);

export function setupDhcpPortWithNeutron(host: string, cases: Array<{ name: string; network: unknown }>): Record<string, PySetup> {
  const out = execFileSync(PY, [SCRIPT], {
    input: JSON.stringify({ host, cases }),
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return (JSON.parse(out) as { cases: Record<string, PySetup> }).cases;
}
