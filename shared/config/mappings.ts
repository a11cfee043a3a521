/**
 * `neutron_lib.utils.helpers.parse_mappings`, same rules and same messages:
 * Neutron's L2 agents read `physical_interface_mappings` / `bridge_mappings` as a
 * ListOpt and then call this, refusing to start on an error.
 *
 * Each item is stripped; empty items are skipped; an item must split on `:` into
 * exactly two parts (so no IPv6 literals); key and value are stripped and must be
 * non-empty. With `uniqueKeys` (default) a repeated key is an error, and with
 * `uniqueValues` (default) so is a repeated value. With `uniqueKeys: false` the
 * result maps each key to its distinct values, in order.
 */
import { ValueError } from './errors.js';

export interface ParseMappingsOptions {
  uniqueValues?: boolean;
  uniqueKeys?: boolean;
}

export function parseMappings(list: readonly string[], opts?: { uniqueValues?: boolean; uniqueKeys?: true }): Record<string, string>;
export function parseMappings(list: readonly string[], opts: { uniqueValues?: boolean; uniqueKeys: false }): Record<string, string[]>;
export function parseMappings(list: readonly string[], opts: ParseMappingsOptions = {}): Record<string, string> | Record<string, string[]> {
  const uniqueKeys = opts.uniqueKeys ?? true;
  const uniqueValues = opts.uniqueValues ?? true;
  const single = new Map<string, string>();
  const multi = new Map<string, string[]>();
  for (const raw of list) {
    const mapping = raw.trim();
    if (!mapping) continue;
    const parts = mapping.split(':');
    if (parts.length !== 2) throw new ValueError(`Invalid mapping: '${mapping}'`);
    const key = (parts[0] as string).trim();
    if (!key) throw new ValueError(`Missing key in mapping: '${mapping}'`);
    const value = (parts[1] as string).trim();
    if (!value) throw new ValueError(`Missing value in mapping: '${mapping}'`);
    if (uniqueKeys) {
      if (single.has(key)) throw new ValueError(`Key ${key} in mapping: '${mapping}' not unique`);
      if (uniqueValues && [...single.values()].includes(value)) {
        throw new ValueError(`Value ${value} in mapping: '${mapping}' not unique`);
      }
      single.set(key, value);
    } else {
      const values = multi.get(key) ?? [];
      if (!values.includes(value)) values.push(value);
      multi.set(key, values);
    }
  }
  // fromEntries defines own properties, so a key like "__proto__" stays data.
  return uniqueKeys ? Object.fromEntries(single) : Object.fromEntries(multi);
}
