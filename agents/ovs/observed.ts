/**
 * What OVSDB holds, indexed by name: the agent's view of "actual" for the switch. It is
 * built from the live OVSDB monitor snapshot at every apply (never remembered between
 * applies), so a port or bridge changed by hand is seen as it is.
 */
export interface ObservedInterface {
  name: string;
  /** undefined while vswitchd has not assigned one, or on error (-1). */
  ofport: number | undefined;
  type: string;
  externalIds: Record<string, string>;
  options: Record<string, string>;
  error: string | undefined;
}

export interface ObservedPort {
  name: string;
  bridge: string | undefined;
  tag: number | undefined;
  vlanMode: string | undefined;
  trunks: number[];
  otherConfig: Record<string, string>;
  interfaces: ObservedInterface[];
}

export interface ObservedBridge {
  name: string;
  datapathType: string;
  failMode: string | undefined;
  ports: string[];
}

export interface ObservedOvs {
  bridges: Map<string, ObservedBridge>;
  ports: Map<string, ObservedPort>;
  interfaces: Map<string, ObservedInterface>;
}

export function emptyObserved(): ObservedOvs {
  return { bridges: new Map(), ports: new Map(), interfaces: new Map() };
}

/** ofport of an interface, when it has a usable one. */
export function ofportOf(observed: ObservedOvs, name: string): number | undefined {
  const i = observed.interfaces.get(name);
  return i?.ofport !== undefined && i.ofport > 0 ? i.ofport : undefined;
}
