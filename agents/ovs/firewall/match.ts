/**
 * Builds ovs-ofctl match strings with the fields always in one order, so the same
 * flow renders to the same text (the flow synchroniser and the conntrack-zone diff
 * compare flows as text).
 */

export interface MatchFields {
  /** Set by OVS when a conjunctive match fired (conj-flows.ts). */
  conj_id?: number;
  ct_state?: string;
  ct_mark?: string;
  ct_zone?: number;
  /** reg5: the filtered port's ofport. */
  reg5?: number;
  /** reg6: the port's conntrack zone (local VLAN). */
  reg6?: number;
  in_port?: number;
  dl_src?: string;
  dl_dst?: string;
  dl_vlan?: number;
  /** 0x0800 → `ip`, 0x86dd → `ipv6`, 0x0806 → `arp`, anything else → `dl_type=0x….`. */
  dl_type?: number;
  nw_src?: string;
  nw_dst?: string;
  ipv6_src?: string;
  ipv6_dst?: string;
  arp_spa?: string;
  arp_sha?: string;
  nw_proto?: number;
  /** `tcp_src` / `udp_src` / `sctp_src` (from {@link portField}) or `tp_src`. */
  tp_src?: { field: string; value: string };
  tp_dst?: { field: string; value: string };
  icmp_type?: number;
  icmp_code?: number;
  nd_target?: string;
}

const DL_TYPE_NAME: Readonly<Record<number, string>> = { 0x0800: 'ip', 0x86dd: 'ipv6', 0x0806: 'arp' };

const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

/** The ovs-ofctl match for `f`; '' when no field is set. */
export function match(f: MatchFields): string {
  const out: string[] = [];
  const put = (k: string, v: string | number | undefined): void => {
    if (v !== undefined) out.push(`${k}=${v}`);
  };
  put('conj_id', f.conj_id);
  put('ct_state', f.ct_state);
  put('ct_mark', f.ct_mark);
  put('ct_zone', f.ct_zone);
  put('reg5', f.reg5);
  put('reg6', f.reg6);
  put('in_port', f.in_port);
  put('dl_src', f.dl_src);
  put('dl_dst', f.dl_dst);
  put('dl_vlan', f.dl_vlan);
  if (f.dl_type !== undefined) out.push(DL_TYPE_NAME[f.dl_type] ?? `dl_type=${hex4(f.dl_type)}`);
  put('nw_src', f.nw_src);
  put('nw_dst', f.nw_dst);
  put('ipv6_src', f.ipv6_src);
  put('ipv6_dst', f.ipv6_dst);
  put('arp_spa', f.arp_spa);
  put('arp_sha', f.arp_sha);
  put('nw_proto', f.nw_proto);
  if (f.tp_src) put(f.tp_src.field, f.tp_src.value);
  if (f.tp_dst) put(f.tp_dst.field, f.tp_dst.value);
  put('icmp_type', f.icmp_type);
  put('icmp_code', f.icmp_code);
  put('nd_target', f.nd_target);
  return out.join(',');
}

/** `set_field:V->regN` */
export const setReg = (reg: number, value: number): string => `set_field:${value}->reg${reg}`;
export const resubmit = (table: number): string => `resubmit(,${table})`;
export const output = (ofport: number): string => `output:${ofport}`;
