/**
 * A schema is plain data: group name → option name → `Opt<T>`. The resolved
 * config's type is inferred from it (`ConfigOf<S>`), so agents get
 * `cfg.vxlan.local_ip: string | null` without casts.
 *
 * Group keys are written as Neutron registers them in lower case (`agent`,
 * `linux_bridge`, `oslo_messaging_rabbit`) or `DEFAULT`; file sections match them
 * case-insensitively (`[AGENT]`, `[agent]`), except DEFAULT, as in oslo.config.
 * Option names are the underscore form: oslo looks a file key up by its `dest`,
 * so `dhcp-lease-duration = 1` in a file is *not* `dhcp_lease_duration` (checked
 * against oslo.config 9.0; such keys are reported as unknown).
 */
import type { AnyOpt, Opt } from './types.js';

export type SchemaGroup = { readonly [option: string]: AnyOpt };
export type Schema = { readonly [group: string]: SchemaGroup };

export type OptValue<O> = O extends Opt<infer T> ? T : never;

export type GroupOf<G extends SchemaGroup> = { readonly [N in keyof G]: OptValue<G[N]> };

/** The fully typed result of resolving schema `S`. */
export type ConfigOf<S extends Schema> = { readonly [G in keyof S]: GroupOf<S[G]> };

type Merge2<A, B> = {
  readonly [G in keyof A | keyof B]: (G extends keyof A ? A[G] : unknown) & (G extends keyof B ? B[G] : unknown);
};

/** Identity with a type check: `defineSchema({ vxlan: { ... } })`. */
export function defineSchema<const S extends Schema>(schema: S): S {
  return schema;
}

/**
 * Merges schemas group by group (an agent = common + its own ini). A later
 * schema's option replaces an earlier one of the same group and name.
 */
export function mergeSchemas<A extends Schema, B extends Schema>(a: A, b: B): Merge2<A, B>;
export function mergeSchemas<A extends Schema, B extends Schema, C extends Schema>(a: A, b: B, c: C): Merge2<Merge2<A, B>, C>;
export function mergeSchemas(...schemas: Schema[]): Schema {
  const out: Record<string, Record<string, AnyOpt>> = {};
  for (const s of schemas) {
    for (const [group, opts] of Object.entries(s)) {
      out[group] = { ...(out[group] ?? {}), ...opts };
    }
  }
  return out;
}
