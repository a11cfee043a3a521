/**
 * Runs py/neutron_bridge_flows.py: Neutron Zed's own OVS agent code programs real
 * bridges (given by their .mgmt sockets) over OpenFlow 1.3. `neutronSkipReason` is set
 * when /usr/bin/python3 cannot import Neutron's native OpenFlow bridge classes.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrIntFlowsInput, BrPhysFlowsInput, BrTunFlowsInput } from '../../../agents/ovs/model.js';

const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
const SCRIPT = join(repoRoot, 'test', 'unit', 'ovs-flows', 'py', 'neutron_bridge_flows.py');
const PY = '/usr/bin/python3';

export type NeutronRequest =
  | { bridge: 'int'; mgmt: string; cookie?: bigint; input: BrIntFlowsInput }
  | { bridge: 'tun'; mgmt: string; cookie?: bigint; input: BrTunFlowsInput }
  | { bridge: 'phys'; mgmt: string; cookie?: bigint; input: BrPhysFlowsInput };

export interface NeutronResult { sent: number; errors: string[] }

function probe(): string | false {
  try {
    execFileSync(PY, ['-c', 'import neutron.plugins.ml2.drivers.openvswitch.agent.ovs_neutron_agent, neutron.plugins.ml2.drivers.openvswitch.agent.openflow.native.br_tun'], { stdio: 'ignore', timeout: 60_000 });
    return false;
  } catch {
    return `${PY} cannot import Neutron's OVS agent: no reference to compare with`;
  }
}

export const neutronSkipReason: string | false = probe();

/** Maps → objects (insertion order kept), bigints → numbers (JSON). */
function plain(v: unknown): unknown {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), plain(x)]));
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

export function programWithNeutron(requests: NeutronRequest[]): NeutronResult[] {
  const out = execFileSync(PY, [SCRIPT], {
    input: JSON.stringify({ requests: requests.map(plain) }),
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return (JSON.parse(out) as { results: NeutronResult[] }).results;
}
