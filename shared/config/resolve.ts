/**
 * Resolves a schema against parsed INI layers with oslo.config's rules:
 *
 * - Layers are given oldest first (the order oslo reads them: --config-file and
 *   --config-dir files as they appear on the command line, command-line flags at
 *   their position). For a single-valued option the newest layer that sets it wins,
 *   and within a layer the last assignment; the option's own name is preferred to
 *   its deprecated names in the same layer.
 * - Multi-valued options (MultiStrOpt) collect every assignment of every layer,
 *   oldest layer first (and, inside a layer, deprecated names before the current one).
 * - `$name` / `${name}` is replaced by the *resolved* value of option `name` of the
 *   same group, else of [DEFAULT]; `$group.name` names a group. The value renders as
 *   Python's `str()` (`True`, `30.0`, `''` for unset). `$$` and `\$` give a `$`.
 *   A `$` not followed by a name is kept. Defaults are substituted too
 *   (`dhcp_confs = $state_path/dhcp`). Substitution happens on the raw string,
 *   before type conversion.
 * - A reference to an option outside the schema uses the raw string set in the
 *   files (oslo would use the option Neutron registers); if no file sets it either,
 *   it is a ConfigError (oslo: NoSuchOptError). Reference loops are an error.
 * - Sections and options the schema does not know are ignored: one debug line per
 *   file lists them. Use of a deprecated name logs one warning.
 */
import type { Logger } from '../logging/logger.js';
import { ConfigError, CONFIG_ERROR_CODES, ValueError, valueErrorMessage } from './errors.js';
import { normalizeGroupName, type IniFile, type IniValue } from './ini-parser.js';
import type { ConfigOf, Schema } from './schema.js';
import type { AnyOpt } from './types.js';

export interface ResolveOptions {
  logger?: Logger;
}

/** Where a raw value came from, for error messages. */
interface Located {
  readonly raw: string;
  readonly file: string;
  readonly section: string;
  readonly option: string;
  readonly line?: number;
}

interface SchemaEntry {
  readonly groupKey: string;
  readonly name: string;
  readonly opt: AnyOpt;
}

const TEMPLATE_RE = /\$(?:(\$)|([_a-z][._a-z0-9]*)|\{([_a-z][._a-z0-9]*)\}|)/gi;
const REDACTED = '***';

export function resolveConfig<S extends Schema>(schema: S, layers: readonly IniFile[], options: ResolveOptions = {}): ConfigOf<S> {
  return new Resolver(schema, layers, options.logger).resolveAll() as ConfigOf<S>;
}

class Resolver {
  /** normalised group → option name → entry */
  private readonly groups = new Map<string, Map<string, SchemaEntry>>();
  private readonly cache = new Map<string, unknown>();
  private readonly inProgress = new Set<string>();
  private readonly warnedDeprecated = new Set<string>();

  constructor(
    private readonly schema: Schema,
    private readonly layers: readonly IniFile[],
    private readonly logger: Logger | undefined,
  ) {
    for (const [groupKey, opts] of Object.entries(schema)) {
      const norm = normalizeGroupName(groupKey);
      const m = this.groups.get(norm) ?? new Map<string, SchemaEntry>();
      for (const [name, opt] of Object.entries(opts)) m.set(name, { groupKey, name, opt });
      this.groups.set(norm, m);
    }
  }

  resolveAll(): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const [groupKey, opts] of Object.entries(this.schema)) {
      const g: Record<string, unknown> = {};
      for (const name of Object.keys(opts)) g[name] = this.value(normalizeGroupName(groupKey), name);
      out[groupKey] = g;
    }
    this.logUnknown();
    return out;
  }

  /** The resolved value of a schema option (memoised; detects loops). */
  private value(group: string, name: string): unknown {
    const id = `${group}\u0000${name}`;
    if (this.cache.has(id)) return this.cache.get(id);
    const entry = this.groups.get(group)?.get(name);
    if (!entry) throw new Error(`no option ${group}.${name} in schema`);
    if (this.inProgress.has(id)) {
      throw new ConfigError(CONFIG_ERROR_CODES.TEMPLATE, `[${entry.groupKey}] ${name}: template substitution loops back to itself`, {
        section: entry.groupKey,
        option: name,
        reason: 'template substitution loop',
      });
    }
    this.inProgress.add(id);
    try {
      const v = this.compute(group, entry);
      this.cache.set(id, v);
      return v;
    } finally {
      this.inProgress.delete(id);
    }
  }

  private compute(group: string, entry: SchemaEntry): unknown {
    const { opt } = entry;
    const names = this.lookupNames(group, entry);
    if (opt.multi) {
      const found = this.collectMulti(names);
      if (found.length === 0) return this.defaultValue(group, entry);
      return found.flatMap((loc) => this.convert(group, entry, loc) as unknown[]);
    }
    const loc = this.findLast(names);
    if (!loc) return this.defaultValue(group, entry);
    return this.convert(group, entry, loc);
  }

  /** [(group, name)] to look for: current first, then deprecated names. */
  private lookupNames(group: string, entry: SchemaEntry): Array<[string, string]> {
    const names: Array<[string, string]> = [[group, entry.name]];
    for (const d of entry.opt.deprecated) {
      names.push([d.group ? normalizeGroupName(d.group) : group, d.name ?? entry.name]);
    }
    return names;
  }

  private findLast(names: ReadonlyArray<[string, string]>): Located | undefined {
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i] as IniFile;
      for (const [idx, [g, n]] of names.entries()) {
        const vals = layer.sections.get(g)?.get(n);
        if (vals && vals.length > 0) {
          const v = vals[vals.length - 1] as IniValue;
          if (idx > 0) this.warnDeprecated(layer.file, v.section, n, names[0] as [string, string]);
          return { raw: v.value, file: layer.file, section: v.section, option: n, line: v.line };
        }
      }
    }
    return undefined;
  }

  private collectMulti(names: ReadonlyArray<[string, string]>): Located[] {
    let out: Located[] = [];
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i] as IniFile;
      for (const [idx, [g, n]] of names.entries()) {
        const vals = layer.sections.get(g)?.get(n);
        if (!vals || vals.length === 0) continue;
        if (idx > 0) this.warnDeprecated(layer.file, (vals[0] as IniValue).section, n, names[0] as [string, string]);
        out = [...vals.map((v) => ({ raw: v.value, file: layer.file, section: v.section, option: n, line: v.line })), ...out];
      }
    }
    return out;
  }

  private convert(group: string, entry: SchemaEntry, loc: Located): unknown {
    const substituted = this.substitute(loc.raw, group, loc, entry.opt.secret);
    try {
      return entry.opt.parse(substituted);
    } catch (err) {
      if (!(err instanceof ValueError)) throw err;
      const value = entry.opt.secret ? REDACTED : loc.raw;
      throw new ConfigError(
        CONFIG_ERROR_CODES.VALUE,
        valueErrorMessage({ file: loc.file, section: loc.section, option: loc.option, value, reason: err.message }),
        { file: loc.file, line: loc.line, section: loc.section, option: loc.option, value, reason: err.message },
        { cause: err },
      );
    }
  }

  /** oslo runs defaults through substitution too; string parts only. */
  private defaultValue(group: string, entry: SchemaEntry): unknown {
    const d = entry.opt.default;
    const loc: Located = { raw: '', file: '<default>', section: entry.groupKey, option: entry.name };
    const sub = (s: string): string => this.substitute(s, group, { ...loc, raw: s }, entry.opt.secret);
    if (typeof d === 'string') return sub(d);
    if (Array.isArray(d)) return d.map((x: unknown) => (typeof x === 'string' ? sub(x) : x));
    if (d !== null && typeof d === 'object') {
      return Object.fromEntries(Object.entries(d).map(([k, v]) => [sub(k), typeof v === 'string' ? sub(v) : v]));
    }
    return d;
  }

  /** Python string.Template.safe_substitute with oslo's StrSubWrapper. */
  private substitute(raw: string, group: string, where: Located, secret: boolean): string {
    if (!raw.includes('$')) return raw;
    const text = raw.replace(/\\\$/g, '$$$$');
    return text.replace(TEMPLATE_RE, (match, escaped: string | undefined, named: string | undefined, braced: string | undefined) => {
      if (escaped) return '$';
      const ref = named ?? braced;
      if (ref === undefined) return match; // a lone '$': kept, like safe_substitute
      return this.reference(ref, group, where, secret);
    });
  }

  private reference(ref: string, group: string, where: Located, secret: boolean): string {
    const dot = ref.indexOf('.');
    const candidates: Array<[string, string]> =
      dot >= 0 ? [[normalizeGroupName(ref.slice(0, dot)), ref.slice(dot + 1)]] : [[group, ref], ['DEFAULT', ref]];
    for (const [g, n] of candidates) {
      const entry = this.groups.get(g)?.get(n);
      if (entry) return entry.opt.format(this.value(g, n));
    }
    // Not in our schema: use the raw string from the files, substituted in its own group.
    for (const [g, n] of candidates) {
      const loc = this.findLast([[g, n]]);
      if (loc) return this.substitute(loc.raw, g, loc, secret);
    }
    const value = secret ? REDACTED : where.raw;
    const reason = `template variable $${ref} names no known option`;
    throw new ConfigError(
      CONFIG_ERROR_CODES.TEMPLATE,
      valueErrorMessage({ file: where.file, section: where.section, option: where.option, value, reason }),
      { file: where.file, line: where.line, section: where.section, option: where.option, value, reason },
    );
  }

  private warnDeprecated(file: string, section: string, name: string, current: [string, string]): void {
    const key = `${section}\u0000${name}`;
    if (!this.logger || this.warnedDeprecated.has(key)) return;
    this.warnedDeprecated.add(key);
    const entry = this.groups.get(current[0])?.get(current[1]);
    this.logger.warn(
      { file, section, option: name, group: entry?.groupKey ?? current[0], name: current[1] },
      'deprecated config option name; use the new group/name',
    );
  }

  private logUnknown(): void {
    if (!this.logger || !this.logger.isLevelEnabled('debug')) return;
    const known = new Set<string>();
    for (const [g, m] of this.groups) {
      for (const e of m.values()) {
        for (const [lg, ln] of this.lookupNames(g, e)) known.add(`${lg}\u0000${ln}`);
      }
    }
    const knownGroups = new Set([...known].map((k) => k.split('\u0000')[0]));
    for (const layer of this.layers) {
      const sections: string[] = [];
      const opts: string[] = [];
      for (const [g, keys] of layer.sections) {
        if (!knownGroups.has(g)) {
          const first = keys.values().next().value as readonly IniValue[] | undefined;
          sections.push(first?.[0]?.section ?? g);
          continue;
        }
        for (const [k, vals] of keys) {
          if (!known.has(`${g}\u0000${k}`)) opts.push(`[${(vals[0] as IniValue).section}] ${k}`);
        }
      }
      if (sections.length > 0 || opts.length > 0) {
        this.logger.debug({ file: layer.file, sections, options: opts }, 'config sections and options not used by this agent');
      }
    }
  }
}
