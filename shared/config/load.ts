/**
 * argv → config files → typed config, the way oslo.config's `CONF(argv)` does it:
 *
 * 1. Without any --config-file, the default files `<project>.conf` and
 *    `<prog>.conf` are read, each from the first of `~/.<project>/`, `~/`,
 *    `/etc/<project>/`, `/etc/` that has it; without any --config-dir, the
 *    directories `<project>.conf.d` and `<prog>.conf.d` likewise (missing ones
 *    skipped). Only when `defaults` is given: `{ project: 'neutron', prog: 'neutron-dhcp-agent' }`.
 * 2. Then the command line in order: each --config-file, each --config-dir's
 *    `*.conf` files (no dotfiles, sorted by name), each flag value.
 * 3. Missing files are collected and reported together (ConfigError
 *    CONFIG_FILE_NOT_FOUND); a missing --config-dir fails at once.
 *
 * File reads are synchronous: this runs once at start-up, before anything else.
 */
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger } from '../logging/logger.js';
import { parseAgentArgv, type AgentArgv } from './argv.js';
import { ConfigError, CONFIG_ERROR_CODES } from './errors.js';
import { parseIni, type IniFile, type IniValue } from './ini-parser.js';
import { resolveConfig } from './resolve.js';
import type { ConfigOf, Schema } from './schema.js';

export interface DefaultConfigLocations {
  /** `neutron` */
  project: string;
  /** The Python program name, e.g. `neutron-dhcp-agent`. */
  prog?: string;
}

export interface LoadOptions {
  logger?: Logger;
  /** Look for oslo's default files/dirs when none is given on the command line. */
  defaults?: DefaultConfigLocations;
}

export interface LoadedConfig<S extends Schema> {
  readonly config: ConfigOf<S>;
  readonly args: AgentArgv;
  /** Every file read, in reading order. */
  readonly files: readonly string[];
}

/** oslo's `_fixpath`: `~` expansion and an absolute path. */
export function fixPath(p: string): string {
  if (p === '~' || p.startsWith('~/')) return resolve(homedir() + p.slice(1));
  return resolve(p);
}

function configDirs(project: string): string[] {
  return [fixPath(`~/.${project}`), fixPath('~'), join('/etc', project), '/etc'];
}

/** oslo `find_config_files(project, prog)`. */
export function findDefaultConfigFiles(d: DefaultConfigLocations): string[] {
  return findFirst(d, '.conf', (p) => isFile(p));
}

/** oslo `find_config_dirs(project, prog)`. */
export function findDefaultConfigDirs(d: DefaultConfigLocations): string[] {
  return findFirst(d, '.conf.d', (p) => existsSync(p));
}

function findFirst(d: DefaultConfigLocations, ext: string, exists: (p: string) => boolean): string[] {
  const out: string[] = [];
  for (const base of [d.project, d.prog]) {
    if (!base) continue;
    const hit = configDirs(d.project)
      .map((dir) => join(dir, base + ext))
      .find(exists);
    if (hit) out.push(hit);
  }
  return out;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** `*.conf` in a directory as Python's glob sees it (no dotfiles), sorted. */
export function listConfDir(dir: string): string[] {
  const fixed = fixPath(dir);
  if (!existsSync(fixed)) {
    throw new ConfigError(CONFIG_ERROR_CODES.DIR_NOT_FOUND, `Failed to read config file directory: ${dir}`, { file: dir });
  }
  return readdirSync(fixed)
    .filter((n) => n.endsWith('.conf') && !n.startsWith('.'))
    .sort()
    .map((n) => join(fixed, n));
}

/** The ordered file list plus CLI layers: what `resolveConfig` needs. */
export function readConfigLayers(args: AgentArgv, defaults?: DefaultConfigLocations): { layers: IniFile[]; files: string[] } {
  const layers: IniFile[] = [];
  const files: string[] = [];
  const missing: string[] = [];
  const unreadable: string[] = [];

  const readOne = (path: string): void => {
    const file = fixPath(path);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return void missing.push(file);
      if (code === 'EACCES') return void unreadable.push(file);
      throw new ConfigError(CONFIG_ERROR_CODES.FILE_UNREADABLE, `Failed to read config file ${file}: ${(err as Error).message}`, { file }, { cause: err });
    }
    layers.push(parseIni(text, file));
    files.push(file);
  };

  if (defaults && args.configFiles.length === 0) findDefaultConfigFiles(defaults).forEach(readOne);
  if (defaults && args.configDirs.length === 0) {
    for (const dir of findDefaultConfigDirs(defaults)) listConfDir(dir).forEach(readOne);
  }
  for (const src of args.sources) {
    if (src.kind === 'file') readOne(src.path);
    else if (src.kind === 'dir') listConfDir(src.path).forEach(readOne);
    else layers.push(cliLayer(src.option, src.value));
  }

  if (missing.length > 0) {
    throw new ConfigError(CONFIG_ERROR_CODES.FILE_NOT_FOUND, `Failed to find some config files: ${missing.join(',')}`, {
      file: missing[0],
      files: missing,
    });
  }
  if (unreadable.length > 0) {
    throw new ConfigError(CONFIG_ERROR_CODES.FILE_UNREADABLE, `Failed to open some config files: ${unreadable.join(',')}`, {
      file: unreadable[0],
      files: unreadable,
    });
  }
  return { layers, files };
}

/** A flag like `--debug` as a one-value [DEFAULT] layer named "command line". */
export function cliLayer(option: string, value: string): IniFile {
  const v: IniValue = { value, line: 0, section: 'DEFAULT' };
  return { file: 'command line', sections: new Map([['DEFAULT', new Map([[option, [v]]])]]) };
}

/**
 * The one call an agent's main.ts makes:
 * `const { config } = loadAgentConfig(process.argv.slice(2), DhcpAgentSchema, log)`.
 */
export function loadAgentConfig<S extends Schema>(argv: readonly string[], schema: S, logger?: Logger, options: Omit<LoadOptions, 'logger'> = {}): LoadedConfig<S> {
  const args = parseAgentArgv(argv);
  const { layers, files } = readConfigLayers(args, options.defaults);
  logger?.debug({ files }, 'config files read');
  const config = resolveConfig(schema, layers, logger ? { logger } : {});
  return { config, args, files };
}
