/**
 * ovs-ofctl driver: read a bridge's flows, learn how OVS will print a desired flow, and
 * apply flow mods as one atomic bundle. Argument arrays only; flow text goes on stdin.
 *
 * Every call uses ONE OpenFlow version (`-O OpenFlow14` by default), because OVS prints
 * the same flow differently per version, and we compare text (OVS 3.1, checked here):
 *   written                          OF1.0 dump                        OF1.4 dump
 *   set_field:0x1->reg5              load:0x1->NXM_NX_REG5[]           set_field:0x1->reg5
 *   load:0x2->NXM_OF_ARP_OP[]        load:0x2->NXM_OF_ARP_OP[]         set_field:2->arp_op (OF1.5; OF1.3 keeps load)
 *   mod_vlan_vid:7 (match dl_vlan=5) mod_vlan_vid:7                    set_field:4103->vlan_vid
 *   mod_vlan_vid:5 (no VLAN match)   mod_vlan_vid:5                    push_vlan:0x8100,set_field:4101->vlan_vid
 *   pop_vlan / strip_vlan            strip_vlan                        pop_vlan
 *   set_tunnel:0x64                  load:0x64->NXM_NX_TUN_ID[]        set_field:0x64->tun_id
 *   dl_vlan=0xffff (match)           vlan_tci=0x0000/0x1fff            vlan_tci=0x0000/0x1fff
 *   nw_dst=10.1.2.3/16, dl_type=0x0800,nw_proto=6, in_port (action), tun_id=100
 *                                    nw_dst=10.1.0.0/16, tcp, IN_PORT, tun_id=0x64 (all versions)
 * OpenFlow 1.4 because bundles need it (ovs-ofctl(8) --bundle) and Neutron enables
 * OpenFlow10,13,14 on its bridges (ovs_lib.OVSBridge initial_protocols); a bridge whose
 * `protocols` column lacks it fails with "version negotiation failed (we support version
 * 0x05, peer supports versions 0x01, 0x04)".
 *
 * Quirk (semantics, not just text): under OpenFlow 1.1+ `mod_vlan_vid` becomes
 * push_vlan + set_field unless the match guarantees a tag, so on a flow without a VLAN
 * match a tagged packet gets a SECOND tag; OpenFlow 1.0 would rewrite its VID. Neutron's
 * native (OF1.3) driver has the same semantics; renderers must match on the VLAN state.
 *
 * Canonical text: {@link OvsOfctl.canonicalise} runs the desired flows through
 * `ovs-ofctl -O <version> parse-flows -`, which parses each flow, encodes it as that
 * version's flow mod and prints the decoded message, all offline. On OVS 3.1 that
 * text is byte-identical to what dump-flows with the same `-O` prints once the flow is
 * installed (checked on a set with VLAN matches and rewrites, tun_id, ARP fields and
 * actions, ct_state, ct(commit,exec(...)), reg5/reg6, resubmit, learn(), conjunction,
 * strip_vlan, set_field, load, move). `parse-flows` is not in ovs-ofctl(8): it is one of
 * the commands OVS keeps for its own test suite (tests/ofp-actions.at, ovs-ofctl.at). The
 * documented alternatives fall short: `diff-flows`/`replace-flows` compare parsed text with
 * the switch's decoded flows and so report the rows above as different on every run, and
 * `diff-flows /dev/null FILE` prints the parsed text without the encode/decode round trip.
 *
 * Other quirks seen on 3.1:
 * - A match field without its prerequisite (`tp_dst=80` with no `tcp`) is silently
 *   dropped ("ofp_match|INFO|normalization changed ofp_match" on stderr), which turns the
 *   flow into a much wider one; canonicalise() refuses such flows.
 * - An action without its prerequisite in the match fails with "no usable protocol"
 *   (parse-flows) or "none of the usable flow formats (none) is among the allowed flow
 *   formats (OXM-OpenFlow14)" (add-flows), naming no line; canonicalise() bisects to find
 *   it. Seen for `mod_nw_dst` without `ip`, and for `strip_vlan`/`pop_vlan` on a flow whose
 *   match does not say the packet is tagged (add `dl_vlan=N`), which OpenFlow 1.0 accepted.
 * - Parse errors name the line: "ovs-ofctl: -:2: unknown action outptu".
 * - Errors from the switch quote the flow mod: "Error OFPBAC_BAD_OUT_GROUP for:
 *   OFPT_FLOW_MOD (OF1.4) (xid=0x7): ADD … actions=group:99"; the bundle is then
 *   discarded (OFPBFC_MSG_FAILED) and nothing of it is applied.
 * - `add` of a flow with the same table, priority and match replaces it atomically (its
 *   duration restarts); `modify_strict cookie=C/-1,…` changes only a flow with cookie C
 *   and keeps its counters and duration; `delete_strict cookie=C/-1,…` likewise.
 * - A missing bridge: "BR is not a bridge or a socket".
 */
import type { CommandRunner, RunOptions } from '../../exec/command-runner.js';
import { CommandError } from '../../exec/errors.js';
import { assertIfName } from '../../exec/names.js';
import type { FlowSpec } from '../../../agents/ovs/model.js';
import { formatCookie } from './flow-cookie.js';
import { parseDumpFlows, parseFlowModEcho, type DumpedFlow, type FlowModEcho } from './flow-dump.js';
import { FlowSpecError, OfctlOutputError } from './flow-errors.js';
import { assertFlowSpec, specText } from './flow-spec.js';

export type OpenFlowVersion = 'OpenFlow14' | 'OpenFlow15';

export interface OvsOfctlOptions {
  /** OVS_RUNDIR: where `<bridge>.mgmt` lives. Default: ovs-ofctl's own (/var/run/openvswitch). */
  rundir?: string;
  /** The one OpenFlow version used for every call. Default OpenFlow14 (the lowest with bundles). */
  protocols?: OpenFlowVersion;
  /** Per ovs-ofctl process. Default 30 s. */
  timeoutMs?: number;
}

/** A flow's match and actions as the switch will print them (see the module comment). */
export interface CanonicalFlow {
  match: string;
  actions: string;
}

/** What ovs-ofctl's stderr says about a failed flow mod. */
export interface OfctlFailure {
  /** First meaningful stderr line. */
  reason: string;
  /** 1-based line of the stdin file, when ovs-ofctl named one (`-:N:`). */
  lineNumber?: number;
  /** The flow mod the switch refused, when the error reply quoted it. */
  refused?: FlowModEcho;
}

/** Reads ovs-ofctl's stderr after a failed add-flows/parse-flows. Pure. */
export function describeOfctlFailure(stderr: string): OfctlFailure {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  // The vlog lines (`2026-…|00001|ofp_table|WARN|…`) are context; the ovs-ofctl: or Error line is the reason.
  const reason = lines.find((l) => /^(Error |ovs-ofctl: )/.test(l)) ?? lines[0] ?? '';
  const out: OfctlFailure = { reason };
  const num = /^ovs-ofctl: -:(\d+): /m.exec(stderr);
  if (num) out.lineNumber = Number(num[1]);
  for (const l of lines) {
    if (!l.startsWith('Error ')) continue;
    try {
      const e = parseFlowModEcho(l);
      if (e) { out.refused = e; break; }
    } catch { /* an echo we cannot read: keep the reason only */ }
  }
  return out;
}

const NORMALIZED = /normalization changed ofp_match/;

export class OvsOfctl {
  readonly protocols: OpenFlowVersion;
  private readonly env: Record<string, string> | undefined;
  private readonly timeoutMs: number;

  constructor(
    private readonly runner: CommandRunner,
    opts: OvsOfctlOptions = {},
  ) {
    this.protocols = opts.protocols ?? 'OpenFlow14';
    if (this.protocols !== 'OpenFlow14' && this.protocols !== 'OpenFlow15') throw new RangeError(`unsupported OpenFlow version ${String(this.protocols)}`);
    this.env = opts.rundir !== undefined ? { OVS_RUNDIR: opts.rundir } : undefined;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  private run(args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
    const o: RunOptions = { timeoutMs: this.timeoutMs };
    if (input !== undefined) o.input = input;
    if (this.env) o.env = this.env;
    return this.runner.run(['ovs-ofctl', '-O', this.protocols, ...args], o);
  }

  /** Every flow of the bridge (optionally only one cookie's), parsed. */
  async dumpFlows(bridge: string, filter: { cookie?: bigint } = {}): Promise<DumpedFlow[]> {
    assertIfName(bridge);
    const args = ['--no-names', 'dump-flows', bridge];
    if (filter.cookie !== undefined) args.push(`cookie=${formatCookie(filter.cookie)}/-1`);
    const r = await this.run(args);
    return parseDumpFlows(r.stdout);
  }

  /**
   * Match and actions of each flow as the switch will print them, in input order, by
   * OVS's own parser (offline: no bridge involved). Throws {@link FlowSpecError} naming
   * the flow OVS cannot parse or would silently widen.
   */
  async canonicalise(specs: readonly FlowSpec[]): Promise<CanonicalFlow[]> {
    specs.forEach((s, i) => assertFlowSpec(s, i));
    if (specs.length === 0) return [];
    const r = await this.parseFlows(specs);
    if (!r.ok) {
      const failure = describeOfctlFailure(r.stderr);
      if (failure.lineNumber !== undefined && failure.lineNumber <= specs.length) {
        const i = failure.lineNumber - 1;
        throw new FlowSpecError(i, specs[i], failure.reason.replace(/^ovs-ofctl: -:\d+: /, ''), r.stderr);
      }
      const i = await this.firstBad(specs, (x) => !x.ok);
      throw new FlowSpecError(i, i !== undefined ? specs[i] : undefined, failure.reason.replace(/^ovs-ofctl: /, ''), r.stderr);
    }
    if (NORMALIZED.test(r.stderr)) {
      const i = await this.firstBad(specs, (x) => !x.ok || NORMALIZED.test(x.stderr));
      throw new FlowSpecError(i, i !== undefined ? specs[i] : undefined, 'OVS drops a match field whose prerequisite is missing (e.g. tp_dst without tcp/udp), which would make this a wider flow', r.stderr);
    }
    return this.readCanonical(specs, r.stdout);
  }

  private async parseFlows(specs: readonly FlowSpec[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
    // Cookie i+1 ties each printed flow mod back to its input line.
    const input = specs.map((s, i) => specText(s, BigInt(i + 1))).join('\n') + '\n';
    try {
      const r = await this.run(['parse-flows', '-'], input);
      return { ok: true, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      if (err instanceof CommandError && !err.timedOut && err.exitCode !== undefined) return { ok: false, stdout: err.stdout, stderr: err.stderr };
      throw err;
    }
  }

  /** Bisects for the first flow that fails on its own (OVS named no line). */
  private async firstBad(specs: readonly FlowSpec[], bad: (r: { ok: boolean; stderr: string }) => boolean): Promise<number | undefined> {
    let lo = 0;
    let hi = specs.length;
    if (!bad(await this.parseFlows(specs))) return undefined;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (bad(await this.parseFlows(specs.slice(lo, mid)))) hi = mid;
      else lo = mid;
    }
    return lo;
  }

  private readCanonical(specs: readonly FlowSpec[], stdout: string): CanonicalFlow[] {
    const out: Array<CanonicalFlow | undefined> = new Array<CanonicalFlow | undefined>(specs.length);
    for (const line of stdout.split('\n')) {
      const e = parseFlowModEcho(line);
      if (!e) continue; // "usable protocols: …", "chosen protocol: …"
      const i = Number(e.cookie) - 1;
      const s = specs[i];
      if (s === undefined || out[i] !== undefined) throw new OfctlOutputError(line, 'flow mod with an unexpected cookie');
      if (e.table !== s.table || e.priority !== s.priority || e.actions === undefined) throw new OfctlOutputError(line, 'table, priority or actions differ from the input');
      out[i] = { match: e.match, actions: e.actions };
    }
    const missing = out.findIndex((c) => c === undefined);
    if (missing >= 0 || out.length !== specs.length) throw new OfctlOutputError(stdout.slice(0, 300), `no flow mod printed for input line ${missing + 1}`);
    return out as CanonicalFlow[];
  }

  /**
   * Applies `lines` (add-flows file lines: `add …`, `modify_strict …`, `delete_strict …`)
   * as ONE atomic bundle with one ovs-ofctl process, flow text on stdin. On failure
   * nothing was applied; the CommandError's stderr says why
   * (see {@link describeOfctlFailure}).
   */
  async bundle(bridge: string, lines: readonly string[]): Promise<void> {
    assertIfName(bridge);
    for (const l of lines) if (/[\r\n]/.test(l)) throw new RangeError('flow-mod line contains a line break');
    if (lines.length === 0) return;
    await this.run(['--bundle', '--no-names', 'add-flows', bridge, '-'], lines.join('\n') + '\n');
  }

  /** Deletes every flow (all tables) whose cookie is exactly `cookie`. */
  async delFlowsByCookie(bridge: string, cookie: bigint): Promise<void> {
    assertIfName(bridge);
    await this.run(['--no-names', 'del-flows', bridge, `cookie=${formatCookie(cookie)}/-1`]);
  }
}
