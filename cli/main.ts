#!/usr/bin/env node
/**
 * `nucleon`: the operator's command line. Grows with the operator-surface issue
 * (status, diff, trace, logs); today it checks configuration files.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { checkConfig, isAgentKind } from './check-config.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('nucleon')
  .description('Operate the nucleon Neutron agents on this node')
  .version(pkg.version);

program
  .command('check-config')
  .description('read Neutron config files as <agent> would and print the resolved options (secrets masked)')
  .argument('<agent>', 'linuxbridge | ovs | l3 | dhcp | metadata')
  .argument('[args...]', 'the daemon\'s own flags: --config-file F (repeatable), --config-dir D')
  .allowUnknownOption(true)
  .helpOption(false)
  .action((agent: string, args: string[]) => {
    if (!isAgentKind(agent)) {
      process.stderr.write(`nucleon: unknown agent "${agent}" (linuxbridge, ovs, l3, dhcp, metadata)\n`);
      process.exitCode = 2;
      return;
    }
    process.exitCode = checkConfig(agent, args, (s) => process.stdout.write(s + '\n'), (s) => process.stderr.write(`nucleon: ${s}\n`));
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`nucleon: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
