/**
 * A loggable copy of a resolved config: secret options (transport_url,
 * metadata_proxy_shared_secret, ...) replaced by `***`, like oslo's log_opt_values.
 */
import type { ConfigOf, Schema } from './schema.js';

export function redactConfig<S extends Schema>(schema: S, config: ConfigOf<S>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  const values = config as Record<string, Record<string, unknown>>;
  for (const [group, opts] of Object.entries(schema)) {
    const g: Record<string, unknown> = {};
    for (const [name, opt] of Object.entries(opts)) {
      const v = values[group]?.[name];
      g[name] = opt.secret && v !== null && v !== '' ? '***' : v;
    }
    out[group] = g;
  }
  return out;
}
