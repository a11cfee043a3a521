/**
 * The iptables state Neutron's legacy L3 agent builds in a qrouter namespace, as
 * plain data: per family and table, our wrapped chains, their rules and the jumps
 * into them. Pure; rule text exactly as Python makes it (which is exactly what
 * `iptables-save` prints back, so a re-apply is a no-op).
 *
 * Python builds it in steps that append to one rule list per table; within a chain
 * the order is the order of these calls, which this file follows:
 * 1. IptablesManager(): built-in chains wrapped, neutron-filter-top/local, mangle
 *    `mark`, nat `neutron-postrouting-bottom` → `snat` → `float-snat`.
 * 2. RouterInfo(): address-scope chains and marks, metadata mark in mangle.
 * 3. after_router_added (metadata driver, only with enable_metadata_proxy): INPUT
 *    accept/drop, the REDIRECT to the proxy port.
 * 4. process_external(): gateway SNAT rules (_handle_router_snat_rules), then the
 *    floating IPs' DNAT/SNAT (process_floating_ip_nat_rules), only with a gateway.
 * 5. process_address_scope(): `scope` chains refilled per device. Quirk kept from
 *    Python: this empties filter `scope`, dropping the metadata DROP rule step 2 put
 *    there, so that rule is never in the kernel.
 */
import { ipFamily } from '../../../shared/exec/names.js';
import {
  BUILTIN_CHAINS, DEFAULT_SCOPE_MARK, FILTER_TOP, INTERNAL_DEV_WILDCARD, METADATA_V4_CIDR, METADATA_V6_CIDR,
  POSTROUTING_BOTTOM, ROUTER_MARK_MASK, SNAT_OUT_COMMENT, wrapped,
} from './names.js';
import type { NatFamily, NatTableName, OwnedTable, RouterNatDesired, RouterNatInput } from './types.js';
import { assertRouterNatInput } from './validate.js';

/** One table being built: Python's IptablesTable (chains + an ordered rule list). */
class Table {
  readonly chains = new Set<string>();
  readonly rules: string[] = [];
  readonly jumps: OwnedTable['jumps'] = [];
  readonly shared: string[] = [];

  /** `add_chain(name)` (wrapped). */
  chain(name: string): this {
    this.chains.add(wrapped(name));
    return this;
  }

  /** `add_rule(chain, rule)` on a wrapped chain; `$x` names a wrapped chain. */
  rule(chain: string, rule: string): this {
    this.rules.push(`-A ${wrapped(chain)} ${rule.replace(/\$(\S+)/g, (_, c: string) => wrapped(c))}`);
    return this;
  }

  /** `_configure_builtin_chains`: a wrapped twin of each built-in chain, jumped to from it. */
  wrapBuiltins(names: readonly string[]): this {
    for (const n of names) {
      this.chain(n);
      this.jumps.push({ chain: n, target: wrapped(n) });
    }
    return this;
  }

  done(): OwnedTable {
    return { chains: [...this.chains].sort(), rules: this.rules, jumps: this.jumps, shared: this.shared };
  }
}

interface Device { dev: string; families: Set<NatFamily> }

/** Internal devices in the server's order, then the gateway (router_info._get_address_scope_mark). */
function scopeDevices(x: RouterNatInput): Device[] {
  const out: Device[] = x.internalDevices.map((d) => ({ dev: d.dev, families: new Set(d.cidrs.map((c) => ipFamily(c)).filter((f): f is NatFamily => f !== 0)) }));
  if (x.gatewayDevice !== undefined) {
    const families = new Set(x.gatewayIps.map((ip) => ipFamily(ip)).filter((f): f is NatFamily => f !== 0));
    // A dict keyed by device name in Python: a later entry replaces an earlier one.
    const i = out.findIndex((d) => d.dev === x.gatewayDevice);
    if (i >= 0) out.splice(i, 1, { dev: x.gatewayDevice, families });
    else out.push({ dev: x.gatewayDevice, families });
  }
  return out;
}

const CONNMARK_RESTORE = '-m connmark ! --mark 0x0/0xffff0000 -j CONNMARK --restore-mark --nfmask 0xffff0000 --ctmask 0xffff0000';
const CONNMARK_SAVE = '-m connmark --mark 0x0/0xffff0000 -j CONNMARK --save-mark --nfmask 0xffff0000 --ctmask 0xffff0000';

function renderFamily(x: RouterNatInput, fam: NatFamily): Record<NatTableName, OwnedTable> {
  const v4 = fam === 4;
  const random = (x.randomFully ?? true) ? ' --random-fully' : '';
  const md = x.metadata;
  const accessMark = `${md.accessMark}/${ROUTER_MARK_MASK}`;
  const metadataDst = v4 ? METADATA_V4_CIDR : METADATA_V6_CIDR;
  const gw = x.gatewayDevice;
  const gwIp = x.gatewayIps.find((ip) => ipFamily(ip) === 4);

  // 1. IptablesManager.__init__ (filter, raw), initialize_mangle_table, initialize_nat_table.
  const filter = new Table();
  filter.shared.push(FILTER_TOP);
  filter.jumps.push({ chain: 'FORWARD', target: FILTER_TOP }, { chain: 'OUTPUT', target: FILTER_TOP });
  filter.chain('local').jumps.push({ chain: FILTER_TOP, target: wrapped('local') });
  filter.wrapBuiltins(BUILTIN_CHAINS.filter);
  const raw = new Table().wrapBuiltins(BUILTIN_CHAINS.raw);
  const mangle = new Table().wrapBuiltins(BUILTIN_CHAINS.mangle);
  if (v4) mangle.chain('mark').rule('PREROUTING', '-j $mark');
  const nat = new Table().wrapBuiltins(v4 ? ['PREROUTING', 'OUTPUT', 'POSTROUTING'] : ['PREROUTING']);
  if (v4) {
    nat.shared.push(POSTROUTING_BOTTOM);
    nat.jumps.push({ chain: 'POSTROUTING', target: POSTROUTING_BOTTOM });
    nat.chain('snat').jumps.push({ chain: POSTROUTING_BOTTOM, target: wrapped('snat'), spec: `-m comment --comment "${SNAT_OUT_COMMENT}" -j ${wrapped('snat')}` });
    nat.chain('float-snat');
    // rule('snat', '-j $float-snat') here is emptied by _empty_snat_chains and re-added in step 4.
  }

  // 2. RouterInfo: _initialize_address_scope_iptables, initialize_metadata_iptables.
  mangle.chain('scope');
  if (v4) mangle.chain('floatingip').chain('float-snat');
  filter.chain('scope').rule('FORWARD', '-j $scope');
  mangle.rule('PREROUTING', '-j $scope').rule('PREROUTING', CONNMARK_RESTORE);
  if (v4) mangle.rule('PREROUTING', '-j $floatingip').rule('float-snat', CONNMARK_SAVE);
  mangle.rule('PREROUTING', `-d ${metadataDst} -i ${INTERNAL_DEV_WILDCARD} -p tcp -m tcp --dport 80 -j MARK --set-xmark ${accessMark}`);
  // (filter scope `-m mark --mark <access> -j DROP`: removed again in step 5, see the header.)

  // 3. metadata driver: apply_metadata_nat_rules.
  if (md.enabled) {
    filter.rule('INPUT', `-m mark --mark ${accessMark} -j ACCEPT`).rule('INPUT', `-p tcp -m tcp --dport ${md.port} -j DROP`);
    nat.rule('PREROUTING', `-d ${metadataDst} -i ${INTERNAL_DEV_WILDCARD} -p tcp -m tcp --dport 80 -j REDIRECT --to-ports ${md.port}`);
  }

  // 4. process_external: _handle_router_snat_rules, then process_floating_ip_nat_rules.
  if (v4) {
    nat.rule('snat', '-j $float-snat');
    // process_external_port_address_scope_routing (the address-scope ACCEPT needs a scope: never here).
    if (x.enableSnat && gw !== undefined) mangle.rule('POSTROUTING', `-o ${gw} ${CONNMARK_SAVE}`);
    if (gw !== undefined && gwIp !== undefined) {
      if (x.enableSnat) nat.rule('snat', `-o ${gw} -j SNAT --to-source ${gwIp}${random}`);
      // Don't SNAT traffic between internal networks unless it was DNATed (to a floating IP) ...
      nat.rule('POSTROUTING', `! -o ${gw} -m conntrack ! --ctstate DNAT -j ACCEPT`);
      // ... and make internal traffic to a floating IP come back through the router to reverse the DNAT.
      nat.rule('snat', `-m mark ! --mark ${md.ingressMark}/${ROUTER_MARK_MASK} -m conntrack --ctstate DNAT -j SNAT --to-source ${gwIp}${random}`);
      mangle.rule('mark', `-i ${gw} -j MARK --set-xmark ${md.ingressMark}/${ROUTER_MARK_MASK}`);
    }
    if (gw !== undefined) {
      for (const f of x.floatingIps) {
        nat.rule('PREROUTING', `-d ${f.floatingIp}/32 -j DNAT --to-destination ${f.fixedIp}`);
        nat.rule('OUTPUT', `-d ${f.floatingIp}/32 -j DNAT --to-destination ${f.fixedIp}`);
        nat.rule('float-snat', `-s ${f.fixedIp}/32 -j SNAT --to-source ${f.floatingIp}${random}`);
      }
    }
  }

  // 5. process_address_scope: every port in the default scope. Floating IPs get no mangle
  // rules then (Python only marks those whose fixed IP is in another scope than the gateway).
  for (const d of scopeDevices(x)) {
    if (!d.families.has(fam)) continue;
    mangle.rule('scope', `-i ${d.dev} -j MARK --set-xmark ${DEFAULT_SCOPE_MARK}`);
    if (v4 && x.enableSnat && d.dev === gw) continue; // dont_block_external
    filter.rule('scope', `-o ${d.dev} -m mark ! --mark ${DEFAULT_SCOPE_MARK} -j DROP`);
  }

  return { raw: raw.done(), mangle: mangle.done(), filter: filter.done(), nat: nat.done() };
}

/** Throws InvalidNameError on input that must not reach a restore script. */
export function renderRouterNat(input: RouterNatInput): RouterNatDesired {
  assertRouterNatInput(input);
  const out: RouterNatDesired = { 4: renderFamily(input, 4) };
  if (input.ipv6 ?? true) out[6] = renderFamily(input, 6);
  return out;
}
