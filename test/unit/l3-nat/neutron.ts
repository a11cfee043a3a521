/**
 * Runs test/unit/l3-nat/py/router_iptables.py (Neutron's own RouterInfo and
 * IptablesManager) for a batch of routers. `skipReason` is set when /usr/bin/python3
 * cannot import neutron's L3 agent, so the comparisons skip with a printed reason.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
export const SAMPLES = join(repoRoot, '..', 'shared', 'neutron-lab', 'wire-samples');
const SCRIPT = join(repoRoot, 'test', 'unit', 'l3-nat', 'py', 'router_iptables.py');
const PY = '/usr/bin/python3';

export interface PyCase {
  name: string;
  /** A router dict as sync_routers returns it. */
  router: unknown;
  metadata?: boolean;
  ipv6?: boolean;
  random_fully?: boolean;
  conf?: Record<string, unknown>;
}

/** Per case, per family ('4'/'6'), per table: the table as Python's _modify_rules makes it from empty. */
export type PyResult = Record<string, Record<string, Record<string, string[]>>>;

function probe(): string | false {
  try {
    execFileSync(PY, ['-c', 'import neutron.agent.l3.legacy_router, neutron.agent.metadata.driver'], { stdio: 'ignore', timeout: 60_000 });
    return false;
  } catch {
    return `${PY} cannot import neutron.agent.l3.legacy_router: no reference to compare with`;
  }
}

export const skipReason: string | false = probe();
if (skipReason) console.log(`# skipping Neutron comparisons: ${skipReason}`);

export function renderWithNeutron(cases: PyCase[]): PyResult {
  const out = execFileSync(PY, [SCRIPT], {
    input: JSON.stringify({ cases }),
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return JSON.parse(out) as PyResult;
}
