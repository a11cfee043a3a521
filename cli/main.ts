#!/usr/bin/env node
/**
 * `nucleon`: the operator's command line. Each command lives in its own file; this
 * one only declares them and turns their results into exit codes.
 *
 *   check-config <agent> …   resolved options as the daemon would read them
 *   status                   one table for every daemon on this node
 *   diff <agent>             what the daemon would change now (dry run)
 *   trace <id>               desired state, kernel objects, recent log lines of one resource
 *   resync <agent>           ask for a full sync
 *   logs                     filtered, readable pino logs (journal or file)
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { AGENT_NAMES, toAgentKind } from './agents.js';
import { checkConfig, isAgentKind } from './check-config.js';
import { runDiff } from './diff.js';
import type { CommandIo } from './io.js';
import { isLevelName, LEVELS } from './log-filter.js';
import { runLogs, type LogsIo } from './logs.js';
import { runResync } from './resync.js';
import { DEFAULT_SOCKET_DIR, type SocketOptions } from './sockets.js';
import { runStatus } from './status.js';
import { wantColor } from './style.js';
import { runTrace } from './trace.js';
import type { AgentKind } from '../shared/agent/constants.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

// `nucleon logs | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

function makeIo(color: boolean | undefined): LogsIo {
  return {
    out: (s) => process.stdout.write(s + '\n'),
    err: (s) => void process.stderr.write(`nucleon: ${s}\n`),
    style: { color: wantColor(process.stdout, color) },
    now: () => Date.now(),
    drain: async () => {
      await once(process.stdout, 'drain');
    },
  };
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

interface CommonFlags extends SocketOptions {
  color?: boolean;
  json?: boolean;
  timeout?: string;
}

function withSockets(cmd: Command): Command {
  return cmd
    .option('--socket-dir <dir>', 'directory of the daemons\' control sockets', DEFAULT_SOCKET_DIR)
    .option('--socket <path>', 'a control socket (repeatable; replaces --socket-dir)', collect, [] as string[])
    .option('--no-color', 'no ANSI colours (also NO_COLOR=1)');
}

function timeoutOf(flags: CommonFlags): number | undefined {
  if (flags.timeout === undefined) return undefined;
  const s = Number(flags.timeout);
  if (!Number.isFinite(s) || s <= 0) throw new Error(`--timeout "${flags.timeout}": expected seconds > 0`);
  return s * 1000;
}

function agentOrExit(name: string, io: CommandIo): AgentKind | undefined {
  const kind = toAgentKind(name);
  if (!kind) {
    io.err(`unknown agent "${name}" (${AGENT_NAMES.join(', ')})`);
    process.exitCode = 2;
  }
  return kind;
}

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

withSockets(program.command('status'))
  .description('one line per daemon on this node: broker, last report, last apply, health (exit 1 if any is not ok)')
  .option('--json', 'the raw /status answers')
  .option('--timeout <seconds>', 'per daemon', '5')
  .action(async (flags: CommonFlags) => {
    process.exitCode = await runStatus({ ...flags, ...(timeoutOf(flags) !== undefined ? { timeoutMs: timeoutOf(flags) as number } : {}) }, makeIo(flags.color));
  });

withSockets(program.command('diff'))
  .description('what <agent> would change right now, desired vs actual, without applying (exit 0 in sync, 1 changes, 2 error)')
  .argument('<agent>', AGENT_NAMES.join(' | '))
  .option('--json', 'the raw /diff answer')
  .option('--timeout <seconds>', 'how long to wait for the dry run', '60')
  .action(async (agent: string, flags: CommonFlags) => {
    const io = makeIo(flags.color);
    const kind = agentOrExit(agent, io);
    if (kind) process.exitCode = await runDiff(kind, { ...flags, ...(timeoutOf(flags) !== undefined ? { timeoutMs: timeoutOf(flags) as number } : {}) }, io);
  });

withSockets(program.command('trace'))
  .description('everything the daemons know about one port, network, router or subnet id: desired state, kernel objects, recent log lines')
  .argument('<id>', 'port, network, router or subnet id')
  .option('--json', 'the raw /trace answers')
  .option('--timeout <seconds>', 'per daemon', '30')
  .action(async (id: string, flags: CommonFlags) => {
    process.exitCode = await runTrace(id, { ...flags, ...(timeoutOf(flags) !== undefined ? { timeoutMs: timeoutOf(flags) as number } : {}) }, makeIo(flags.color));
  });

withSockets(program.command('resync'))
  .description('ask <agent> for a full resync (the only request that changes anything)')
  .argument('<agent>', AGENT_NAMES.join(' | '))
  .option('--reason <text>', 'logged by the daemon with the resync')
  .action(async (agent: string, flags: CommonFlags & { reason?: string }) => {
    const io = makeIo(flags.color);
    const kind = agentOrExit(agent, io);
    if (kind) process.exitCode = await runResync(kind, flags, io);
  });

program
  .command('logs')
  .description('the daemons\' logs, filtered and readable (journal by default, or --file)')
  .option('--agent <agent>', AGENT_NAMES.join(' | '))
  .option('--resource <id>', 'port_id / network_id / router_id / subnet_id equal to (or starting with) id')
  .option('--since <time>', '30s, 10m, 2h, 1d, 1w, or a date/time (2024-05-01T10:00:00Z)')
  .addOption(new Option('--level <level>', 'minimum level').choices(Object.keys(LEVELS)))
  .option('--file <path>', 'read pino JSON lines from a file (- for stdin) instead of the journal')
  .option('-f, --follow', 'keep reading the journal')
  .addOption(new Option('--format <format>', 'pretty (default on a terminal) or json (default when piped)').choices(['pretty', 'json']))
  .option('--no-color', 'no ANSI colours (also NO_COLOR=1)')
  .action(async (flags: { agent?: string; resource?: string; since?: string; level?: string; file?: string; follow?: boolean; format?: 'pretty' | 'json'; color?: boolean }) => {
    const io = makeIo(flags.color);
    let agent: AgentKind | undefined;
    if (flags.agent !== undefined) {
      agent = agentOrExit(flags.agent, io);
      if (!agent) return;
    }
    const level = flags.level !== undefined && isLevelName(flags.level) ? flags.level : undefined;
    process.exitCode = await runLogs({
      ...(agent ? { agent } : {}),
      ...(flags.resource ? { resource: flags.resource } : {}),
      ...(flags.since ? { since: flags.since } : {}),
      ...(level ? { level } : {}),
      ...(flags.file ? { file: flags.file } : {}),
      ...(flags.follow ? { follow: true } : {}),
      format: flags.format ?? (process.stdout.isTTY ? 'pretty' : 'json'),
    }, io);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`nucleon: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
