/**
 * Runs test/unit/dhcp/py/render_dnsmasq.py (Neutron's own Dnsmasq driver) once
 * for a batch of cases. `skipReason` is set when /usr/bin/python3 cannot import
 * neutron, so the comparison tests skip with a printed reason.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
export const SAMPLES = join(repoRoot, '..', 'shared', 'neutron-lab', 'wire-samples');
const SCRIPT = join(repoRoot, 'test', 'unit', 'dhcp', 'py', 'render_dnsmasq.py');
const PY = '/usr/bin/python3';

export interface PyCase {
  name: string;
  network: unknown;
  conf?: Record<string, unknown>;
  env?: { dhcpPortId?: string | null; hostTagSupported?: boolean; bridged?: boolean };
}

export interface PyRender {
  argv: string[];
  host: string;
  addn_hosts: string;
  opts: string;
  should_enable_metadata: boolean;
}

export interface PyResult {
  cases: Record<string, PyRender>;
  device_ids: string[];
}

function probe(): string | false {
  try {
    execFileSync(PY, ['-c', 'import neutron.agent.linux.dhcp'], { stdio: 'ignore', timeout: 60_000 });
    return false;
  } catch {
    return `${PY} cannot import neutron.agent.linux.dhcp: no reference to compare with`;
  }
}

export const skipReason: string | false = probe();
if (skipReason) console.log(`# skipping Neutron comparisons: ${skipReason}`);

export function renderWithNeutron(cases: PyCase[], deviceIds: { host: string; network_id: string; segmentation_id?: number }[] = []): PyResult {
  const out = execFileSync(PY, [SCRIPT], {
    input: JSON.stringify({ cases, device_ids: deviceIds }),
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return JSON.parse(out) as PyResult;
}
