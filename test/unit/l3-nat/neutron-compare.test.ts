/**
 * The router namespace's iptables as nucleon leaves it, compared chain by chain
 * with what Neutron's own legacy L3 agent code builds (py/router_iptables.py drives
 * RouterInfo + IptablesManager + the metadata driver with no kernel). Ours: the
 * rendered desired state, turned into a restore script against an empty namespace
 * and run through the fake kernel. Same chains, same rules in the same order in
 * every chain (built-in and shared ones included), both families, all four tables.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderRouterNat } from '../../../agents/l3/nat/render.js';
import { composeFamilyRestore } from '../../../agents/l3/nat/restore.js';
import { FakeIptables } from './fake-kernel.js';
import { inputOf, METADATA, recordedRouter, withFloatingIps, withoutGateway, withSecondInterface, withSnat } from './fixtures.js';
import { renderWithNeutron, skipReason, type PyCase } from './neutron.js';

type Dict = Record<string, unknown>;
interface Case { name: string; router: Dict; metadata?: boolean; ipv6?: boolean; randomFully?: boolean }

const base = (): Dict => recordedRouter();
const FIPS: Array<[string, string, string]> = [
  ['f0000000-0000-4000-8000-000000000001', '198.51.100.50', '10.90.0.10'],
  ['f0000000-0000-4000-8000-000000000002', '198.51.100.51', '10.90.0.11'],
];

const CASES: Case[] = [
  { name: 'recorded router: gateway, SNAT, metadata', router: base() },
  { name: 'enable_snat false', router: withSnat(base(), false) },
  { name: 'two floating IPs', router: withFloatingIps(base(), FIPS) },
  { name: 'floating IPs with enable_snat false', router: withSnat(withFloatingIps(base(), FIPS), false) },
  { name: 'no gateway (floating IPs ignored, as Python)', router: withFloatingIps(withoutGateway(base()), FIPS) },
  { name: 'metadata proxy off', router: withFloatingIps(base(), FIPS), metadata: false },
  { name: 'no gateway, metadata off', router: withoutGateway(base()), metadata: false },
  { name: 'second interface with IPv4 and IPv6', router: withSecondInterface(withFloatingIps(base(), FIPS)) },
  { name: 'without --random-fully', router: withFloatingIps(base(), FIPS), randomFully: false },
  { name: 'IPv6 off', router: withFloatingIps(base(), FIPS), ipv6: false },
];

/** Chain → rules of one table as Python's _modify_rules lists it (built-in chains included). */
function pyChains(lines: string[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const l of lines) {
    if (l.startsWith(':')) m.set(l.slice(1).split(' ')[0] ?? '', []);
    else if (l.startsWith('-A ')) m.get(l.split(' ')[1] ?? '')?.push(l);
  }
  return m;
}

function ours(c: Case): Record<string, Record<string, Map<string, string[]>>> {
  const desired = renderRouterNat(inputOf(c.router, { ...METADATA, enabled: c.metadata ?? true }, { ...(c.ipv6 !== undefined ? { ipv6: c.ipv6 } : {}), ...(c.randomFully !== undefined ? { randomFully: c.randomFully } : {}) }));
  const out: Record<string, Record<string, Map<string, string[]>>> = {};
  for (const fam of [4, 6] as const) {
    const d = desired[fam];
    if (d === undefined) continue;
    const k = new FakeIptables();
    k.restore(composeFamilyRestore(d, '') ?? '');
    out[String(fam)] = Object.fromEntries([...k.tables].map(([t, chains]) => [t, chains]));
  }
  return out;
}

describe('rule text and order equal Neutron legacy L3 agent', { skip: skipReason }, () => {
  if (skipReason) return;
  const py = renderWithNeutron(CASES.map((c): PyCase => ({
    name: c.name,
    router: c.router,
    metadata: c.metadata ?? true,
    ipv6: c.ipv6 ?? true,
    random_fully: c.randomFully ?? true,
  })));
  for (const c of CASES) {
    test(c.name, () => {
      const want = py[c.name];
      assert.ok(want, 'python rendered the case');
      const got = ours(c);
      assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort(), 'families');
      for (const [fam, tables] of Object.entries(want)) {
        assert.deepEqual(Object.keys(got[fam] ?? {}).sort(), Object.keys(tables).sort(), `IPv${fam} tables`);
        for (const [table, lines] of Object.entries(tables)) {
          const p = pyChains(lines);
          const g = got[fam]?.[table] ?? new Map<string, string[]>();
          assert.deepEqual([...g.keys()].sort(), [...p.keys()].sort(), `IPv${fam} ${table}: chains`);
          for (const [chain, rules] of p) assert.deepEqual(g.get(chain), rules, `IPv${fam} ${table} ${chain}`);
        }
      }
    });
  }
});
