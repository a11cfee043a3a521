import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAgentArgv, ConfigError } from '../../../shared/config/index.js';

test('repeated --config-file and --config-dir keep one interleaved order', () => {
  const a = parseAgentArgv(['--config-file', '/etc/neutron/neutron.conf', '--config-dir=/etc/neutron/conf.d', '--config-file=/etc/neutron/dhcp_agent.ini']);
  assert.deepEqual(a.configFiles, ['/etc/neutron/neutron.conf', '/etc/neutron/dhcp_agent.ini']);
  assert.deepEqual(a.configDirs, ['/etc/neutron/conf.d']);
  assert.deepEqual(a.sources, [
    { kind: 'file', path: '/etc/neutron/neutron.conf' },
    { kind: 'dir', path: '/etc/neutron/conf.d' },
    { kind: 'file', path: '/etc/neutron/dhcp_agent.ini' },
  ]);
});

test('logging flags, negations, deprecated spellings and unique prefixes', () => {
  const a = parseAgentArgv(['-d', '--logfile', '/var/log/a.log', '--log-dir=/var/log', '--nouse-syslog', '--config-f', 'x.conf', '--use-journal']);
  assert.equal(a.debug, true);
  assert.equal(a.logFile, '/var/log/a.log');
  assert.equal(a.logDir, '/var/log');
  assert.equal(a.useSyslog, false);
  assert.equal(a.useJournal, true);
  assert.deepEqual(a.configFiles, ['x.conf']);
  assert.deepEqual(
    a.sources.filter((s) => s.kind === 'cli').map((s) => (s.kind === 'cli' ? [s.option, s.value] : [])),
    [['debug', 'true'], ['log_file', '/var/log/a.log'], ['log_dir', '/var/log'], ['use_syslog', 'false'], ['use_journal', 'true']],
  );
  assert.equal(parseAgentArgv(['--debug', '--nodebug']).debug, false);
  assert.equal(parseAgentArgv(['--help']).help, true);
  assert.equal(parseAgentArgv(['--version']).version, true);
  assert.equal(parseAgentArgv([]).debug, undefined);
});

test('unknown, ambiguous and incomplete flags are clear ConfigErrors', () => {
  const bad: Array<[string[], RegExp]> = [
    [['--frobnicate'], /unrecognized argument: --frobnicate/],
    [['-x'], /unrecognized argument: -x/],
    [['positional'], /unrecognized argument: positional/],
    [['--conf', 'x'], /ambiguous option: --conf could match --config-file, --config-dir/],
    [['--config-file'], /argument --config-file: expected one argument/],
    [['--config-file', '--debug'], /argument --config-file: expected one argument/],
    [['--debug=yes'], /ignored explicit argument 'yes'/],
    [['--', 'x'], /unrecognized arguments: x/],
  ];
  for (const [argv, re] of bad) {
    assert.throws(() => parseAgentArgv(argv), (e: unknown) => e instanceof ConfigError && e.code === 'CONFIG_ARGV' && re.test(e.message), argv.join(' '));
  }
});
