/**
 * Reads the integration bridge for the OVS interface driver in one ovs-vsctl process:
 * the bridge (datapath_type, ports), every Port's name, every Interface's name and
 * external_ids. `--columns` is a per-command option and `--format=json` prints one
 * JSON table per command, one per line. `find Bridge name=…` answers an empty table
 * for a missing bridge where `list Bridge br-int` would fail the whole command.
 */
import type { CommandRunner } from '../../exec/command-runner.js';
import { assertIfName } from '../../exec/names.js';
import { OvsdbDecodeError, ovsdbMap, ovsdbSet } from '../ovs/ovs-vsctl.js';
import type { IntegrationBridgeState, OvsInterfaceRow } from './types.js';

interface JsonTable { headings: string[]; data: unknown[][] }

export function readIntegrationBridgeArgv(vsctlArgs: readonly string[], bridge: string): string[] {
  assertIfName(bridge);
  return [
    'ovs-vsctl', ...vsctlArgs, '--format=json',
    '--', '--columns=datapath_type,ports', 'find', 'Bridge', `name=${JSON.stringify(bridge)}`,
    '--', '--columns=_uuid,name', 'list', 'Port',
    '--', '--columns=name,external_ids', 'list', 'Interface',
  ];
}

function table(line: string | undefined, what: string): Array<Record<string, unknown>> {
  let t: JsonTable;
  try {
    t = JSON.parse(line ?? '') as JsonTable;
  } catch {
    throw new OvsdbDecodeError(`ovs-vsctl ${what}: output is not a JSON table`);
  }
  if (!Array.isArray(t.headings) || !Array.isArray(t.data)) throw new OvsdbDecodeError(`ovs-vsctl ${what}: output is not a JSON table`);
  return t.data.map((row) => Object.fromEntries(t.headings.map((h, i) => [h, row[i]])));
}

function uuidOf(atom: unknown): string | undefined {
  return Array.isArray(atom) && atom[0] === 'uuid' && typeof atom[1] === 'string' ? atom[1] : undefined;
}

/** Pure: the three JSON lines of {@link readIntegrationBridgeArgv} → state. */
export function parseIntegrationBridge(stdout: string, bridge: string): IntegrationBridgeState {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const [br] = table(lines[0], 'find Bridge');
  const ports = table(lines[1], 'list Port');
  const ifaces = table(lines[2], 'list Interface');
  const onBridge = new Set<string>();
  if (br) {
    const wanted = new Set(ovsdbSet(br['ports']).map(uuidOf).filter((u): u is string => u !== undefined));
    for (const p of ports) if (wanted.has(uuidOf(p['_uuid']) ?? '') && typeof p['name'] === 'string') onBridge.add(p['name']);
  }
  const interfaces = new Map<string, OvsInterfaceRow>();
  for (const i of ifaces) {
    if (typeof i['name'] !== 'string') continue;
    interfaces.set(i['name'], { name: i['name'], onBridge: onBridge.has(i['name']), externalIds: ovsdbMap(i['external_ids']) });
  }
  const dp = br?.['datapath_type'];
  return { bridge, exists: br !== undefined, datapathType: typeof dp === 'string' ? dp : '', interfaces };
}

export async function readIntegrationBridge(runner: CommandRunner, vsctlArgs: readonly string[], bridge: string, timeoutMs: number): Promise<IntegrationBridgeState> {
  const r = await runner.run(readIntegrationBridgeArgv(vsctlArgs, bridge), { timeoutMs });
  return parseIntegrationBridge(r.stdout, bridge);
}
