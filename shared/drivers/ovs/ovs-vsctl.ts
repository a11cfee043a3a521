/**
 * ovs-vsctl driver: one process per transaction, subcommands joined with `--`,
 * always against the configured OVSDB ([ovs] ovsdb_connection). Reads use
 * `--format=json` and decode OVSDB's JSON notation (["set", [...]], ["map", ...]).
 */
import type { CommandRunner } from '../../exec/command-runner.js';

export type OvsdbAtom = string | number | boolean | ['uuid', string] | ['named-uuid', string];
export type OvsdbDatum = OvsdbAtom | ['set', OvsdbAtom[]] | ['map', Array<[OvsdbAtom, OvsdbAtom]>];

export class OvsdbDecodeError extends Error {
  override readonly name = 'OvsdbDecodeError';
}

/** ["set", [a, b]] or a bare atom → array of atoms. */
export function ovsdbSet(d: unknown): OvsdbAtom[] {
  if (Array.isArray(d) && d[0] === 'set' && Array.isArray(d[1])) return d[1] as OvsdbAtom[];
  if (Array.isArray(d) && (d[0] === 'map')) throw new OvsdbDecodeError('expected an OVSDB set, got a map');
  return [d as OvsdbAtom];
}

/** ["map", [[k, v], ...]] → record of strings. */
export function ovsdbMap(d: unknown): Record<string, string> {
  if (!Array.isArray(d) || d[0] !== 'map' || !Array.isArray(d[1])) throw new OvsdbDecodeError('expected an OVSDB map');
  const out: Record<string, string> = {};
  for (const pair of d[1] as unknown[]) {
    if (Array.isArray(pair) && pair.length === 2) out[String(pair[0])] = String(pair[1]);
  }
  return out;
}

interface JsonTable { headings: string[]; data: unknown[][] }

export class OvsVsctl {
  constructor(
    private readonly runner: CommandRunner,
    /** ovsdb_connection, e.g. "tcp:127.0.0.1:6640" or "unix:/run/openvswitch/db.sock". */
    private readonly db: string,
    private readonly timeoutSec = 10,
  ) {}

  private base(): string[] {
    return ['ovs-vsctl', `--db=${this.db}`, `--timeout=${this.timeoutSec}`];
  }

  /** Runs several subcommands in one transaction: ["add-br","x"], ["set","Bridge","x","k=v"] … */
  async transact(subcommands: string[][]): Promise<string> {
    const argv = this.base();
    subcommands.forEach((c, i) => { if (i > 0) argv.push('--'); argv.push(...c); });
    const r = await this.runner.run(argv, { timeoutMs: (this.timeoutSec + 5) * 1000 });
    return r.stdout;
  }

  /** `list TABLE [RECORD]` with only the given columns, as row objects. */
  async list(table: string, columns: string[], record?: string): Promise<Array<Record<string, unknown>>> {
    const argv = [...this.base(), '--format=json', `--columns=${columns.join(',')}`, 'list', table, ...(record ? [record] : [])];
    const r = await this.runner.run(argv, { timeoutMs: (this.timeoutSec + 5) * 1000 });
    let parsed: JsonTable;
    try {
      parsed = JSON.parse(r.stdout) as JsonTable;
    } catch {
      throw new OvsdbDecodeError(`ovs-vsctl list ${table}: output is not JSON`);
    }
    return parsed.data.map((row) => Object.fromEntries(parsed.headings.map((h, i) => [h, row[i]])));
  }

  /**
   * What this switch supports, as the Python agent reports it (ovs_lib
   * BaseOVS.capabilities: Open_vSwitch datapath_types and iface_types).
   */
  async capabilities(): Promise<{ datapath_types: string[]; iface_types: string[] }> {
    const [row] = await this.list('Open_vSwitch', ['datapath_types', 'iface_types'], '.');
    if (!row) return { datapath_types: [], iface_types: [] };
    return {
      datapath_types: ovsdbSet(row['datapath_types']).map(String).sort(),
      iface_types: ovsdbSet(row['iface_types']).map(String).sort(),
    };
  }
}
