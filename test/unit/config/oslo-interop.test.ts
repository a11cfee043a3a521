/**
 * Same files, same argv: Debian's oslo.config (with Neutron 21's registrations)
 * and our loader must agree on values, and on which values are errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfigError,
  defineSchema,
  loadAgentConfig,
  resolveConfig,
  DhcpAgentSchema,
  L3AgentSchema,
  LinuxBridgeAgentSchema,
  OvsAgentSchema,
  MetadataAgentSchema,
  boolOpt,
  dictOpt,
  floatOpt,
  hostAddressOpt,
  intOpt,
  ipOpt,
  listOpt,
  multiStrOpt,
  portOpt,
  strOpt,
  type Schema,
} from '../../../shared/config/index.js';
import { probe, pythonAvailable, type CustomOpt, type ProbeOpt, type ProbeValue } from './oslo-probe.js';
import { withTemp } from './tmp.js';

const skip = pythonAvailable() ? false : '/usr/bin/python3 with oslo.config and neutron not available';

function probeOpts(schema: Schema): ProbeOpt[] {
  return Object.entries(schema).flatMap(([group, opts]) =>
    Object.entries(opts).map(([name, opt]) => ({ group, name, ...(opt.kind === 'mappings' ? { mappings: true } : {}) })),
  );
}

const AGENTS = [
  ['dhcp', DhcpAgentSchema],
  ['l3', L3AgentSchema],
  ['linuxbridge', LinuxBridgeAgentSchema],
  ['ovs', OvsAgentSchema],
  ['metadata', MetadataAgentSchema],
] as const;

for (const [agent, schema] of AGENTS) {
  test(`defaults of the ${agent} agent schema equal Neutron 21's`, { skip }, () => {
    const [py] = probe({ agent, runs: [[]], opts: probeOpts(schema) });
    assert.ok(py);
    const ts = resolveConfig(schema, []) as Record<string, Record<string, unknown>>;
    const missing: string[] = [];
    for (const [key, pv] of Object.entries(py)) {
      const [group, name] = key.split('.') as [string, string];
      if ('missing' in pv) {
        missing.push(key);
        continue;
      }
      assert.ok('value' in pv, `${key}: python error ${JSON.stringify(pv)}`);
      assert.deepEqual(ts[group]?.[name], pv.value, key);
    }
    // Options the Python agent does not register itself but we read anyway.
    const expectedMissing: Record<string, string[]> = {
      dhcp: [],
      l3: [],
      linuxbridge: [],
      ovs: [],
      metadata: [],
    };
    assert.deepEqual(missing, expectedMissing[agent]);
  });
}

const CUSTOM: CustomOpt[] = [
  { group: 'DEFAULT', name: 'state_path', type: 'str', default: '/var/lib/neutron' },
  { group: 'DEFAULT', name: 'confs', type: 'str', default: '$state_path/dhcp' },
  { group: 'DEFAULT', name: 's', type: 'str' },
  { group: 'DEFAULT', name: 'dash_key', type: 'int', default: 5 },
  { group: 'DEFAULT', name: 'b', type: 'bool', default: false },
  { group: 'DEFAULT', name: 'i', type: 'int' },
  { group: 'DEFAULT', name: 'f', type: 'float' },
  { group: 'DEFAULT', name: 'p', type: 'port' },
  { group: 'DEFAULT', name: 'l', type: 'list' },
  { group: 'DEFAULT', name: 'd', type: 'dict' },
  { group: 'DEFAULT', name: 'm', type: 'multistr' },
  { group: 'DEFAULT', name: 'ip', type: 'ip' },
  { group: 'DEFAULT', name: 'h', type: 'host' },
  { group: 'grp', name: 'g', type: 'str', default: 'x' },
  { group: 'grp', name: 'moved', type: 'bool', default: false, deprecated_group: 'DEFAULT' },
  { group: 'grp', name: 'renamed', type: 'int', default: 0, deprecated_name: 'old' },
  { group: 'grp', name: 'tpl', type: 'str' },
];

const CustomSchema = defineSchema({
  DEFAULT: {
    state_path: strOpt({ default: '/var/lib/neutron' }),
    confs: strOpt({ default: '$state_path/dhcp' }),
    s: strOpt(),
    dash_key: intOpt({ default: 5 }),
    b: boolOpt({ default: false }),
    i: intOpt(),
    f: floatOpt(),
    p: portOpt(),
    l: listOpt(),
    d: dictOpt(),
    m: multiStrOpt(),
    ip: ipOpt(),
    h: hostAddressOpt(),
  },
  grp: {
    g: strOpt({ default: 'x' }),
    moved: boolOpt({ default: false, deprecated: [{ group: 'DEFAULT' }] }),
    renamed: intOpt({ default: 0, deprecated: [{ name: 'old' }] }),
    tpl: strOpt(),
  },
});

/**
 * Loads with both. If we fail, oslo must fail on the option our error names;
 * otherwise every value must be equal and oslo must fail nowhere.
 */
function compare(argvs: string[][]): void {
  const results = probe({ custom: CUSTOM, runs: argvs, opts: probeOpts(CustomSchema) });
  argvs.forEach((argv, i) => compareOne(argv, results[i] as Record<string, ProbeValue>));
}

function compareOne(argv: string[], py: Record<string, ProbeValue>): void {
  const label = argv.join(' ');
  const pyErrors = Object.entries(py).filter(([, v]) => 'error' in v).map(([k]) => k);
  let config: Record<string, Record<string, unknown>>;
  try {
    config = loadAgentConfig(argv, CustomSchema).config as Record<string, Record<string, unknown>>;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    assert.ok(pyErrors.some((k) => k.endsWith(`.${e.option}`)), `${label}: we fail (${e.message}) but oslo errors only on [${pyErrors.join(', ')}]`);
    return;
  }
  assert.deepEqual(pyErrors, [], `${label}: oslo fails on ${pyErrors.join(', ')} (${JSON.stringify(pyErrors.map((k) => py[k]))}) but we do not`);
  for (const [key, p] of Object.entries(py)) {
    const [group, name] = key.split('.') as [string, string];
    assert.deepEqual({ value: config[group]?.[name] }, p, `${label}: ${key}`);
  }
}

test('same values as oslo.config: precedence, config-dir order, interpolation, continuation, multi, types', { skip }, () =>
  withTemp((t) => {
    const a = t.write(
      'a.conf',
      [
        '[DEFAULT]',
        'state_path = /srv/n',
        's = from-a',
        'dash-key = 9',
        'm = one',
        'm = two',
        'l = a, ,b,,',
        'd = k:v, k2 : v:2, x, y:z',
        'f = 1_0.5e1',
        'i = +0_7',
        'moved = yes',
        '[Grp]',
        'old = 4',
        'tpl = $g|${state_path}|$$x|\\$y|$b|$f|$l|$grp.g|cost$',
      ].join('\n'),
    );
    t.write('dir/b.conf', '[DEFAULT]\ns = from-dir-b\nm = three\nb = On\n');
    t.write('dir/a.conf', '[DEFAULT]\ns = from-dir-a\nh = Host-1.example.\n');
    t.write('dir/.c.conf', '[DEFAULT]\ns = hidden\n');
    const c = t.write(
      'c.conf',
      '[DEFAULT]\nip = ::1\np = 65535\nl = x,\n  y\n\n[grp]\ng = "quoted"\nrenamed = 5\n[default]\ns = lower-default\n',
    );
    compare([
      ['--config-file', a, '--config-dir', `${t.dir}/dir`, '--config-file', c],
      ['--config-file', c, '--config-dir', `${t.dir}/dir`, '--config-file', a],
      ['--config-dir', `${t.dir}/dir`, '--config-file', a],
    ]);
  }));

test('same errors as oslo.config for bad values, same results for edge values', { skip }, () =>
  withTemp((t) => {
    const bad = ['b = maybe', 'i = 1.5', 'i = 0x10', 'f = fast', 'p = 65536', 'p = -1', 'd = a:1,a:2', 'd = nocolon', 'ip = 01.2.3.4', 'ip = fe80::1%eth0', 'h = -x-', 'h = 1.2.3.4.5', 's = $nope'];
    const good = ['i =', 'f = ', 'p = 0', 'l =', 'd =', 'ip = ::ffff:1.2.3.4', 'h = 10.0.0.1', 'h = localhost.', 'b = 0', 'f = inf', 's = "', "s = ''", 'm = x'];
    const argvs = [...bad, ...good].map((line, i) => ['--config-file', t.write(`case${i}.conf`, `[DEFAULT]\n${line}\n`)]);
    compare(argvs);
  }));
