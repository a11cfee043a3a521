import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import {
  ConfigError,
  defineSchema,
  loadAgentConfig,
  boolOpt,
  intOpt,
  floatOpt,
  portOpt,
  strOpt,
  listOpt,
  dictOpt,
  mappingsOpt,
  multiStrOpt,
  choiceOpt,
  ipOpt,
  hostAddressOpt,
  redactConfig,
} from '../../../shared/config/index.js';
import { withTemp } from './tmp.js';

const S = defineSchema({
  DEFAULT: {
    state_path: strOpt({ default: '/var/lib/neutron' }),
    dhcp_confs: strOpt({ default: '$state_path/dhcp' }),
    name: strOpt(),
    flag: boolOpt({ default: false }),
    count: intOpt({ default: 5, min: 1, max: 10 }),
    maybe: intOpt(),
    ratio: floatOpt({ default: 1.5 }),
    port: portOpt({ default: 9697 }),
    items: listOpt({ default: [] }),
    pairs: dictOpt({ default: {} }),
    multi: multiStrOpt(),
    mode: choiceOpt(['legacy', 'dvr'], { default: 'legacy' }),
    ip: ipOpt(),
    host: hostAddressOpt({ default: 'localhost' }),
    secret: strOpt({ default: '', secret: true }),
    old_home: strOpt({ default: 'x' }),
  },
  linux_bridge: {
    physical_interface_mappings: mappingsOpt({ default: {} }),
    ref: strOpt({ default: '$flag/$count/${state_path}' }),
  },
  grp: {
    moved: boolOpt({ default: false, deprecated: [{ group: 'DEFAULT' }] }),
    renamed: intOpt({ default: 1, deprecated: [{ name: 'old_name' }] }),
  },
});

function expectValueError(fn: () => unknown, file: string, section: string, option: string, value: string, reason: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.code, 'CONFIG_VALUE');
    assert.equal(e.file, file);
    assert.equal(e.section, section);
    assert.equal(e.option, option);
    assert.equal(e.value, value);
    assert.match(e.message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\[${section}\\] ${option} = ${JSON.stringify(value).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));
    assert.match(e.reason ?? '', reason);
    return true;
  });
}

test('defaults, with $state_path substituted in defaults', () => {
  const { config } = loadAgentConfig([], S);
  assert.equal(config.DEFAULT.dhcp_confs, '/var/lib/neutron/dhcp');
  assert.equal(config.DEFAULT.name, null);
  assert.equal(config.DEFAULT.maybe, null);
  assert.equal(config.DEFAULT.multi, null);
  assert.equal(config.linux_bridge.ref, 'False/5//var/lib/neutron');
  // compile-time: the result is typed from the schema
  const b: boolean = config.DEFAULT.flag;
  const m: 'legacy' | 'dvr' = config.DEFAULT.mode;
  const ip: string | null = config.DEFAULT.ip;
  const maps: Record<string, string> = config.linux_bridge.physical_interface_mappings;
  // @ts-expect-error number is not a string
  const wrong: string = config.DEFAULT.count;
  void [b, m, ip, maps, wrong];
});

test('later files win per option; config-dir files sorted, read where --config-dir stands', () =>
  withTemp((t) => {
    const a = t.write('a.conf', '[DEFAULT]\nname = a\ncount = 2\nstate_path = /a\n');
    t.write('d/20-x.conf', '[DEFAULT]\nname = d20\nflag = yes\n');
    t.write('d/10-x.conf', '[DEFAULT]\nname = d10\nratio = 2\n');
    t.write('d/.hidden.conf', '[DEFAULT]\nname = hidden\n');
    t.write('d/ignored.ini', '[DEFAULT]\nname = ini\n');
    const b = t.write('b.conf', '[DEFAULT]\ncount = 3\n');
    const d = `${t.dir}/d`;
    let { config, files } = loadAgentConfig(['--config-file', a, '--config-dir', d, '--config-file', b], S);
    assert.equal(config.DEFAULT.name, 'd20');
    assert.equal(config.DEFAULT.count, 3);
    assert.equal(config.DEFAULT.flag, true);
    assert.equal(config.DEFAULT.ratio, 2);
    assert.equal(config.DEFAULT.dhcp_confs, '/a/dhcp');
    assert.deepEqual(files, [a, `${d}/10-x.conf`, `${d}/20-x.conf`, b]);
    // the dir given before the file: the file wins
    ({ config } = loadAgentConfig([`--config-dir=${d}`, `--config-file=${a}`], S));
    assert.equal(config.DEFAULT.name, 'a');
  }));

test('a flag is overridden by a config file that comes after it, as with oslo', () =>
  withTemp((t) => {
    const f = t.write('f.conf', '[DEFAULT]\ndebug = false\n');
    const S2 = defineSchema({ DEFAULT: { debug: boolOpt({ default: false }) } });
    assert.equal(loadAgentConfig(['--config-file', f, '--debug'], S2).config.DEFAULT.debug, true);
    assert.equal(loadAgentConfig(['-d', '--config-file', f], S2).config.DEFAULT.debug, false);
  }));

test('interpolation: $var, ${var}, same group then DEFAULT, $group.opt, $$ and \\$ escapes, typed values', () =>
  withTemp((t) => {
    const f = t.write(
      'f.conf',
      [
        '[DEFAULT]',
        'state_path = /srv/neutron',
        'name = ${state_path}/n $$state_path \\$x cost$ $1',
        'count = 7',
        'secret = $grp.renamed',
        '[linux_bridge]',
        'ref = $count-$flag-$state_path-$linux_bridge.physical_interface_mappings-$raw_only',
        'physical_interface_mappings = a:b',
        '[DEFAULT]',
        'raw_only = R',
      ].join('\n'),
    );
    const { config } = loadAgentConfig(['--config-file', f], S);
    assert.equal(config.DEFAULT.name, '/srv/neutron/n $state_path $x cost$ $1');
    assert.equal(config.DEFAULT.dhcp_confs, '/srv/neutron/dhcp');
    assert.equal(config.DEFAULT.secret, '1');
    assert.equal(config.linux_bridge.ref, "7-False-/srv/neutron-['a:b']-R");
  }));

test('interpolation of an unknown option is an error naming it; loops are an error', () =>
  withTemp((t) => {
    const f = t.write('f.conf', '[DEFAULT]\nname = $nope/x\n');
    assert.throws(() => loadAgentConfig(['--config-file', f], S), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.code, 'CONFIG_TEMPLATE');
      assert.match(e.message, /\[DEFAULT\] name = "\$nope\/x": template variable \$nope names no known option/);
      return true;
    });
    const g = t.write('g.conf', '[DEFAULT]\nstate_path = $dhcp_confs\n');
    assert.throws(() => loadAgentConfig(['--config-file', g], S), /loops/);
  }));

test('multi-valued options accumulate across repeated keys and files, oldest first', () =>
  withTemp((t) => {
    const a = t.write('a.conf', '[DEFAULT]\nmulti = 1\nmulti = 2\n');
    const b = t.write('b.conf', '[DEFAULT]\nmulti = 3\nname = x\nname = y\n');
    const { config } = loadAgentConfig(['--config-file', a, '--config-file', b], S);
    assert.deepEqual(config.DEFAULT.multi, ['1', '2', '3']);
    assert.equal(config.DEFAULT.name, 'y');
  }));

test('continuation lines reach the typed value', () =>
  withTemp((t) => {
    const f = t.write('f.conf', '[DEFAULT]\nitems = a,\n  b ,c,\n\nname = first\n  second\n');
    const { config } = loadAgentConfig(['--config-file', f], S);
    assert.deepEqual(config.DEFAULT.items, ['a', 'b', 'c']);
    assert.equal(config.DEFAULT.name, 'first\nsecond');
  }));

test('every type converts like oslo', () =>
  withTemp((t) => {
    const f = t.write(
      'f.conf',
      [
        '[DEFAULT]',
        'flag = ON',
        'count = +1_0',
        'maybe =',
        'ratio = 1e1',
        'port = 0',
        'items = a, ,b,,',
        'pairs = k:v, k2 : v:2, x, y:z',
        'mode = dvr',
        'ip = ::ffff:1.2.3.4',
        'host = Compute-1.example.org.',
        '[LINUX_BRIDGE]',
        'physical_interface_mappings = physnet1:eth1, , physnet2 : eth2',
      ].join('\n'),
    );
    const { config } = loadAgentConfig(['--config-file', f], S);
    assert.equal(config.DEFAULT.flag, true);
    assert.equal(config.DEFAULT.count, 10);
    assert.equal(config.DEFAULT.maybe, null);
    assert.equal(config.DEFAULT.ratio, 10);
    assert.equal(config.DEFAULT.port, 0);
    assert.deepEqual(config.DEFAULT.items, ['a', '', 'b']);
    assert.deepEqual(config.DEFAULT.pairs, { k: 'v', k2: 'v:2', 'x, y': 'z' });
    assert.equal(config.DEFAULT.mode, 'dvr');
    assert.equal(config.DEFAULT.ip, '::ffff:1.2.3.4');
    assert.equal(config.DEFAULT.host, 'Compute-1.example.org');
    assert.deepEqual(config.linux_bridge.physical_interface_mappings, { physnet1: 'eth1', physnet2: 'eth2' });
  }));

test('bad values: ConfigError names file, section, option, value and reason', () =>
  withTemp((t) => {
    const cases: Array<[string, string, string, string, RegExp]> = [
      ['DEFAULT', 'flag', 'maybe', 'maybe', /not a boolean/],
      ['DEFAULT', 'count', 'abc', 'abc', /^not an integer$/],
      ['DEFAULT', 'count', '1.5', '1.5', /^not an integer$/],
      ['DEFAULT', 'count', '', '', /not an integer \(empty value\)/],
      ['DEFAULT', 'count', '0', '0', /less than the minimum 1/],
      ['DEFAULT', 'count', '11', '11', /greater than the maximum 10/],
      ['DEFAULT', 'ratio', 'fast', 'fast', /not a number/],
      ['DEFAULT', 'port', '65536', '65536', /not a port number in 0\.\.65535/],
      ['DEFAULT', 'pairs', 'novalue', 'novalue', /NAME:VALUE/],
      ['DEFAULT', 'pairs', 'a:1,a:2', 'a:1,a:2', /duplicate key a/],
      ['DEFAULT', 'pairs', ':1', ':1', /empty key/],
      ['DEFAULT', 'mode', 'DVR', 'DVR', /not one of: legacy, dvr/],
      ['DEFAULT', 'ip', '01.2.3.4', '01.2.3.4', /not an IPv4 or IPv6 address/],
      ['DEFAULT', 'ip', 'fe80::1%eth0', 'fe80::1%eth0', /not an IPv4 or IPv6 address/],
      ['DEFAULT', 'host', '-bad-', '-bad-', /not a valid host address/],
      ['DEFAULT', 'host', '1.2.3.999', '1.2.3.999', /not a valid host address/],
      ['DEFAULT', 'secret', '$nope', '***', /names no known option/],
      ['linux_bridge', 'physical_interface_mappings', 'p1:eth1,p1:eth2', 'p1:eth1,p1:eth2', /^Key p1 in mapping: 'p1:eth2' not unique$/],
      ['linux_bridge', 'physical_interface_mappings', 'p1:eth1,p2:eth1', 'p1:eth1,p2:eth1', /^Value eth1 in mapping: 'p2:eth1' not unique$/],
      ['linux_bridge', 'physical_interface_mappings', 'p1', 'p1', /^Invalid mapping: 'p1'$/],
    ];
    for (const [section, option, raw, shown, reason] of cases) {
      const f = t.write(`${option}.conf`, `[${section}]\n${option} = ${raw}\n`);
      if (option === 'secret') {
        assert.throws(() => loadAgentConfig(['--config-file', f], S), (e: unknown) => e instanceof ConfigError && e.value === '***' && !e.message.includes('$nope"'));
        continue;
      }
      expectValueError(() => loadAgentConfig(['--config-file', f], S), f, section, option, shown, reason);
    }
  }));

test('the documented example message', () =>
  withTemp((t) => {
    const f = t.write('dhcp_agent.ini', '[DEFAULT]\ndhcp_lease_duration = abc\n');
    const S2 = defineSchema({ DEFAULT: { dhcp_lease_duration: intOpt({ default: 86400 }) } });
    assert.throws(() => loadAgentConfig(['--config-file', f], S2), {
      name: 'ConfigError',
      message: `${f} [DEFAULT] dhcp_lease_duration = "abc": not an integer`,
    });
  }));

test('secret values are redacted in errors and in redactConfig', () =>
  withTemp((t) => {
    const S2 = defineSchema({ DEFAULT: { pw: intOpt({ default: 1, secret: true }), tok: strOpt({ default: '', secret: true }) } });
    const f = t.write('f.conf', '[DEFAULT]\npw = hunter2\n');
    assert.throws(() => loadAgentConfig(['--config-file', f], S2), (e: unknown) => e instanceof ConfigError && e.message.includes('"***"') && !e.message.includes('hunter2'));
    const g = t.write('g.conf', '[DEFAULT]\ntok = hunter2\n');
    const { config } = loadAgentConfig(['--config-file', g], S2);
    assert.deepEqual(redactConfig(S2, config), { DEFAULT: { pw: '***', tok: '***' } });
  }));

test('missing config file and missing config dir are ConfigErrors naming them', () =>
  withTemp((t) => {
    const missing = `${t.dir}/nope.conf`;
    const missing2 = `${t.dir}/nope2.conf`;
    assert.throws(() => loadAgentConfig(['--config-file', missing, '--config-file', missing2], S), {
      name: 'ConfigError',
      code: 'CONFIG_FILE_NOT_FOUND',
      message: `Failed to find some config files: ${missing},${missing2}`,
    });
    assert.throws(() => loadAgentConfig(['--config-dir', `${t.dir}/nodir`], S), { code: 'CONFIG_DIR_NOT_FOUND', message: new RegExp('nodir') });
  }));

test('section names are case-insensitive except DEFAULT; dashed keys do not match', () =>
  withTemp((t) => {
    const f = t.write('f.conf', '[Linux_Bridge]\nphysical_interface_mappings = a:b\n[default]\nname = lower\n[DEFAULT]\nstate-path = /dash\n');
    const { config } = loadAgentConfig(['--config-file', f], S);
    assert.deepEqual(config.linux_bridge.physical_interface_mappings, { a: 'b' });
    assert.equal(config.DEFAULT.name, null);
    assert.equal(config.DEFAULT.state_path, '/var/lib/neutron');
  }));

test('deprecated group and name are read (one warning); the current name wins in the same file', () =>
  withTemp((t) => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const log = pino({ level: 'debug' }, sink);
    const a = t.write('a.conf', '[DEFAULT]\nmoved = true\n[grp]\nold_name = 4\nrenamed = 5\n[unknown]\nx = 1\n[DEFAULT]\nbogus = 1\n');
    const { config } = loadAgentConfig(['--config-file', a], S, log);
    assert.equal(config.grp.moved, true);
    assert.equal(config.grp.renamed, 5);
    const b = t.write('b.conf', '[grp]\nold_name = 6\n');
    assert.equal(loadAgentConfig(['--config-file', a, '--config-file', b], S).config.grp.renamed, 6);
    const recs = lines.map((l) => JSON.parse(l) as { msg: string; level: number; sections?: string[]; options?: string[] });
    assert.equal(recs.filter((r) => r.msg.startsWith('deprecated config option')).length, 1);
    const unknown = recs.find((r) => r.msg === 'config sections and options not used by this agent');
    assert.deepEqual(unknown?.sections, ['unknown']);
    assert.deepEqual(unknown?.options, ['[DEFAULT] bogus']);
  }));
