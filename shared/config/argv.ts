/**
 * The command line of the Python agents (oslo.config + oslo.log CLI options),
 * parsed by hand: commander cannot keep --config-file and --config-dir in one
 * interleaved order, and that order decides precedence.
 *
 * oslo reads each --config-file / --config-dir when argparse meets it, and a CLI
 * flag (e.g. --debug) is overridden by a config file given *after* it on the
 * command line. So the result is an ordered `sources` list: files, directories
 * and flag values, oldest first; `loadAgentConfig` turns it into layers.
 *
 * Accepted, as argparse does: `--opt value` and `--opt=value`, unique prefixes of
 * long options (`--config-f`), `-d`, `--nodebug` style negations of booleans,
 * the deprecated spellings `--logfile`, `--logdir`, `--log-config`, `--log_config`.
 * `-h/--help` and `--version` are reported, not acted on. Anything else is a
 * ConfigError (argparse exits with status 2 there).
 */
import { ConfigError, CONFIG_ERROR_CODES } from './errors.js';

export type ArgvSource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'dir'; readonly path: string }
  /** A flag that sets a [DEFAULT] option, e.g. `--debug` → debug = true. */
  | { readonly kind: 'cli'; readonly option: string; readonly value: string; readonly flag: string };

export interface AgentArgv {
  /** --config-file values, in order. */
  readonly configFiles: string[];
  /** --config-dir values, in order. */
  readonly configDirs: string[];
  /** Files, directories and flag values in command-line order (= oslo's reading order). */
  readonly sources: ArgvSource[];
  readonly debug: boolean | undefined;
  readonly logFile: string | undefined;
  readonly logDir: string | undefined;
  readonly logConfigAppend: string | undefined;
  readonly logDateFormat: string | undefined;
  readonly syslogLogFacility: string | undefined;
  readonly useSyslog: boolean | undefined;
  readonly useJournal: boolean | undefined;
  readonly useJson: boolean | undefined;
  readonly watchLogFile: boolean | undefined;
  readonly help: boolean;
  readonly version: boolean;
}

type Spec =
  | { readonly type: 'file' | 'dir' }
  | { readonly type: 'string'; readonly dest: string }
  | { readonly type: 'bool'; readonly dest: string; readonly value: boolean }
  | { readonly type: 'help' | 'version' };

/** Long option → meaning. Boolean options also get their `--no<name>` negation. */
const LONG: ReadonlyMap<string, Spec> = (() => {
  const m = new Map<string, Spec>([
    ['config-file', { type: 'file' }],
    ['config-dir', { type: 'dir' }],
    ['help', { type: 'help' }],
    ['version', { type: 'version' }],
    ['log-config-append', { type: 'string', dest: 'log_config_append' }],
    ['log-config', { type: 'string', dest: 'log_config_append' }],
    ['log_config', { type: 'string', dest: 'log_config_append' }],
    ['log-date-format', { type: 'string', dest: 'log_date_format' }],
    ['log-file', { type: 'string', dest: 'log_file' }],
    ['logfile', { type: 'string', dest: 'log_file' }],
    ['log-dir', { type: 'string', dest: 'log_dir' }],
    ['logdir', { type: 'string', dest: 'log_dir' }],
    ['syslog-log-facility', { type: 'string', dest: 'syslog_log_facility' }],
  ]);
  for (const [name, dest] of [
    ['debug', 'debug'],
    ['watch-log-file', 'watch_log_file'],
    ['use-syslog', 'use_syslog'],
    ['use-journal', 'use_journal'],
    ['use-json', 'use_json'],
  ] as const) {
    m.set(name, { type: 'bool', dest, value: true });
    m.set(`no${name}`, { type: 'bool', dest, value: false });
  }
  return m;
})();

const SHORT: ReadonlyMap<string, Spec> = new Map<string, Spec>([
  ['d', { type: 'bool', dest: 'debug', value: true }],
  ['h', { type: 'help' }],
]);

function argvError(message: string): ConfigError {
  return new ConfigError(CONFIG_ERROR_CODES.ARGV, message, { reason: message });
}

/** argparse's long-option lookup: exact name, else a unique prefix. */
function lookupLong(name: string): [string, Spec] {
  const exact = LONG.get(name);
  if (exact) return [name, exact];
  const matches = [...LONG.keys()].filter((k) => k.startsWith(name));
  if (matches.length === 1) return [matches[0] as string, LONG.get(matches[0] as string) as Spec];
  if (matches.length > 1) {
    throw argvError(`ambiguous option: --${name} could match ${matches.map((m) => `--${m}`).join(', ')}`);
  }
  throw argvError(`unrecognized argument: --${name}`);
}

export function parseAgentArgv(argv: readonly string[]): AgentArgv {
  const sources: ArgvSource[] = [];
  const strings = new Map<string, string>();
  const bools = new Map<string, boolean>();
  let help = false;
  let version = false;

  const apply = (spec: Spec, flag: string, value: string | undefined): void => {
    switch (spec.type) {
      case 'file':
        sources.push({ kind: 'file', path: value as string });
        return;
      case 'dir':
        sources.push({ kind: 'dir', path: value as string });
        return;
      case 'string':
        strings.set(spec.dest, value as string);
        sources.push({ kind: 'cli', option: spec.dest, value: value as string, flag });
        return;
      case 'bool':
        bools.set(spec.dest, spec.value);
        sources.push({ kind: 'cli', option: spec.dest, value: spec.value ? 'true' : 'false', flag });
        return;
      case 'help':
        help = true;
        return;
      case 'version':
        version = true;
    }
  };

  const takesValue = (spec: Spec): boolean => spec.type === 'file' || spec.type === 'dir' || spec.type === 'string';

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      if (i + 1 < argv.length) throw argvError(`unrecognized arguments: ${argv.slice(i + 1).join(' ')}`);
      break;
    }
    let spec: Spec;
    let flag: string;
    let inline: string | undefined;
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
      const [full, s] = lookupLong(name);
      spec = s;
      flag = `--${full}`;
    } else if (arg.startsWith('-') && arg.length === 2 && SHORT.has(arg[1] as string)) {
      spec = SHORT.get(arg[1] as string) as Spec;
      flag = arg;
    } else {
      throw argvError(`unrecognized argument: ${arg}`);
    }
    if (takesValue(spec)) {
      let value = inline;
      if (value === undefined) {
        const next = argv[i + 1];
        if (next === undefined || (next.startsWith('-') && next.length > 1)) throw argvError(`argument ${flag}: expected one argument`);
        value = next;
        i++;
      }
      apply(spec, flag, value);
    } else {
      if (inline !== undefined) throw argvError(`argument ${flag}: ignored explicit argument '${inline}'`);
      apply(spec, flag, undefined);
    }
  }

  return {
    configFiles: sources.flatMap((s) => (s.kind === 'file' ? [s.path] : [])),
    configDirs: sources.flatMap((s) => (s.kind === 'dir' ? [s.path] : [])),
    sources,
    debug: bools.get('debug'),
    logFile: strings.get('log_file'),
    logDir: strings.get('log_dir'),
    logConfigAppend: strings.get('log_config_append'),
    logDateFormat: strings.get('log_date_format'),
    syslogLogFacility: strings.get('syslog_log_facility'),
    useSyslog: bools.get('use_syslog'),
    useJournal: bools.get('use_journal'),
    useJson: bools.get('use_json'),
    watchLogFile: bools.get('watch_log_file'),
    help,
    version,
  };
}
