/**
 * Pure renderers: ops → `ip`/`bridge` batch lines and argv arrays. No I/O.
 * Every name is validated here, so nothing unvalidated reaches a command line.
 * Batch lines are whitespace-split by iproute2; validators reject whitespace,
 * quotes and '#', so plain joining is safe.
 */
import {
  assertCidr,
  assertIfName,
  assertInt,
  assertIp,
  assertMac,
  assertNetnsName,
  assertSysctlKey,
  assertWord,
  InvalidNameError,
  ipFamily,
} from '../exec/names.js';
import type {
  AddrOp,
  FdbOp,
  IptablesRestoreOp,
  LinkAddOp,
  LinkSetOp,
  LinkSpec,
  NeighOp,
  NftApplyOp,
  OvsCommand,
  RouteOp,
  SysctlSetOp,
} from './ops.js';

function optNs(ns: string | undefined): void {
  if (ns !== undefined) assertNetnsName(ns);
}

function linkSpecArgs(name: string, spec: LinkSpec): string[] {
  switch (spec.type) {
    case 'bridge': {
      const a = ['type', 'bridge'];
      if (spec.stp !== undefined) a.push('stp_state', spec.stp ? '1' : '0');
      if (spec.forwardDelay !== undefined) {
        assertInt('forward_delay', spec.forwardDelay, 0, 3000);
        a.push('forward_delay', String(spec.forwardDelay));
      }
      return ['name', name, ...a];
    }
    case 'veth': {
      assertIfName(spec.peer);
      const a = ['name', name, 'type', 'veth', 'peer', 'name', spec.peer];
      if (spec.peerNetns !== undefined) {
        assertNetnsName(spec.peerNetns);
        a.push('netns', spec.peerNetns);
      }
      return a;
    }
    case 'vxlan': {
      assertInt('vni', spec.vni, 0, 16777215);
      assertInt('dstport', spec.dstport, 1, 65535);
      const a = ['name', name, 'type', 'vxlan', 'id', String(spec.vni)];
      if (spec.group !== undefined && spec.remote !== undefined) throw new InvalidNameError('vxlan', name, 'group and remote are exclusive');
      if (spec.group !== undefined) (assertIp(spec.group), a.push('group', spec.group));
      if (spec.remote !== undefined) (assertIp(spec.remote), a.push('remote', spec.remote));
      if (spec.local !== undefined) (assertIp(spec.local), a.push('local', spec.local));
      if (spec.dev !== undefined) (assertIfName(spec.dev), a.push('dev', spec.dev));
      a.push('dstport', String(spec.dstport));
      if (spec.ttl !== undefined) (assertInt('ttl', spec.ttl, 0, 255), a.push('ttl', String(spec.ttl)));
      if (spec.tos !== undefined) {
        if (spec.tos !== 'inherit') assertInt('tos', spec.tos, 0, 255);
        a.push('tos', String(spec.tos));
      }
      if (spec.proxy) a.push('proxy');
      if (spec.nolearning) a.push('nolearning');
      return a;
    }
    case 'vlan':
      // Needs the 8021q module; on the CI kernel this fails with "Unknown device type".
      assertIfName(spec.parent);
      assertInt('vlan id', spec.vlanId, 1, 4094);
      return ['link', spec.parent, 'name', name, 'type', 'vlan', 'id', String(spec.vlanId)];
  }
}

/** `link add …` (one batch line, tokens). */
export function renderLinkAdd(op: LinkAddOp): string[] {
  optNs(op.netns);
  assertIfName(op.name);
  const a = ['link', 'add', ...linkSpecArgs(op.name, op.link)];
  // mtu/address/group are accepted by `ip link add` before the type keyword only;
  // insert them right after the name tokens.
  const extra: string[] = [];
  if (op.mtu !== undefined) (assertInt('mtu', op.mtu, 68, 65535), extra.push('mtu', String(op.mtu)));
  if (op.address !== undefined) (assertMac(op.address), extra.push('address', op.address));
  if (op.group !== undefined) (assertInt('group', op.group, 0, 2147483647), extra.push('group', String(op.group)));
  const typeAt = a.indexOf('type');
  a.splice(typeAt, 0, ...extra);
  return a;
}

/** `link set dev X netns Y` (only when `moveTo`), run in the op's namespace. */
export function renderLinkMove(op: LinkSetOp): string[] | undefined {
  if (op.moveTo === undefined) return undefined;
  optNs(op.netns);
  assertIfName(op.name);
  assertNetnsName(op.moveTo);
  return ['link', 'set', 'dev', op.name, 'netns', op.moveTo];
}

/** `link set dev X [mtu][address][master|nomaster][up|down]`, run where the link lives after any move. */
export function renderLinkSetAttrs(op: LinkSetOp): string[] | undefined {
  assertIfName(op.name);
  if (op.master !== undefined && op.nomaster) throw new InvalidNameError('link.set', op.name, 'master and nomaster are exclusive');
  const a = ['link', 'set', 'dev', op.name];
  if (op.mtu !== undefined) (assertInt('mtu', op.mtu, 68, 65535), a.push('mtu', String(op.mtu)));
  if (op.address !== undefined) (assertMac(op.address), a.push('address', op.address));
  if (op.master !== undefined) (assertIfName(op.master), a.push('master', op.master));
  if (op.nomaster) a.push('nomaster');
  if (op.up !== undefined) a.push(op.up ? 'up' : 'down');
  return a.length > 4 ? a : undefined;
}

export function renderLinkDel(name: string): string[] {
  assertIfName(name);
  return ['link', 'del', 'dev', name];
}

export function renderAddr(op: AddrOp): string[] {
  optNs(op.netns);
  assertCidr(op.cidr);
  assertIfName(op.dev);
  return ['addr', op.kind === 'addr.add' ? 'add' : 'del', op.cidr, 'dev', op.dev];
}

export function renderRoute(op: RouteOp): string[] {
  optNs(op.netns);
  let dst = op.dst;
  if (dst === 'default') {
    // "default via <v6>" infers the family from the gateway, "default dev X" would be
    // IPv4; spell the IPv6 default as ::/0 so the family never depends on inference.
    if (op.via !== undefined && ipFamily(op.via) === 6) dst = '::/0';
  } else assertCidr(dst);
  const a = ['route', op.kind === 'route.replace' ? 'replace' : 'del', dst];
  if (op.via !== undefined) (assertIp(op.via), a.push('via', op.via));
  if (op.dev !== undefined) (assertIfName(op.dev), a.push('dev', op.dev));
  if (op.src !== undefined) (assertIp(op.src), a.push('src', op.src));
  if (op.table !== undefined) a.push('table', numOrWord('table', op.table, 0xffffffff));
  if (op.proto !== undefined) a.push('proto', numOrWord('proto', op.proto, 255));
  if (op.metric !== undefined) (assertInt('metric', op.metric, 0, 0xffffffff), a.push('metric', String(op.metric)));
  if (op.scope !== undefined) (assertWord('scope', op.scope), a.push('scope', op.scope));
  return a;
}

function numOrWord(what: string, v: number | string, max: number): string {
  if (typeof v === 'number') assertInt(what, v, 0, max);
  else assertWord(what, v);
  return String(v);
}

export function renderNeigh(op: NeighOp): string[] {
  optNs(op.netns);
  assertIp(op.ip);
  assertIfName(op.dev);
  if (op.kind === 'neigh.del') {
    // iproute2 6.1 quirk: a failing `neigh add/del/replace` calls exit(2) even under
    // -force, killing the rest of the batch. `neigh flush to IP dev X nud all` is silent
    // when the entry is missing and removes PERMANENT entries (plain flush skips them).
    return ['neigh', 'flush', 'to', op.ip, 'dev', op.dev, 'nud', 'all'];
  }
  if (op.lladdr === undefined) throw new InvalidNameError('neigh.replace', op.ip, 'lladdr required');
  assertMac(op.lladdr);
  return ['neigh', 'replace', op.ip, 'lladdr', op.lladdr, 'dev', op.dev, 'nud', op.nud ?? 'permanent'];
}

/** A `bridge -batch` line (the `bridge` tool, not `ip`). */
export function renderFdb(op: FdbOp): string[] {
  optNs(op.netns);
  assertMac(op.mac);
  assertIfName(op.dev);
  const a = ['fdb', op.kind === 'fdb.append' ? 'append' : 'del', op.mac, 'dev', op.dev];
  if (op.dst !== undefined) (assertIp(op.dst), a.push('dst', op.dst));
  if (op.self) a.push('self');
  if (op.master) a.push('master');
  if (op.permanent && op.kind === 'fdb.append') a.push('permanent');
  return a;
}

/** `sysctl -q -w k=v…` argv for one namespace (one process for all keys). */
export function renderSysctl(ops: readonly SysctlSetOp[]): string[] {
  return ['sysctl', '-q', '-w', ...ops.map((op) => {
    optNs(op.netns);
    assertSysctlKey(op.name);
    if (/[\0\n]/.test(op.value)) throw new InvalidNameError('sysctl value', op.value, 'contains NUL or newline');
    return `${op.name}=${op.value}`;
  })];
}

/**
 * argv + stdin for one namespace+family. Rules always go on stdin: `iptables-restore -w FILE`
 * returns 0 and loads nothing (`-w` swallows FILE as its optional argument). `--wait=10` is the
 * unambiguous spelling (legacy backend only; iptables-nft has no xtables lock).
 */
export function renderIptablesRestore(ops: readonly IptablesRestoreOp[]): { argv: string[]; input: string } {
  const family = ops[0]?.family ?? 4;
  for (const op of ops) optNs(op.netns);
  const input = ops.map((op) => (op.rules.endsWith('\n') ? op.rules : `${op.rules}\n`)).join('');
  return { argv: [family === 6 ? 'ip6tables-restore' : 'iptables-restore', '--wait=10'], input };
}

/** argv + stdin for one nft script; a failed `nft -f` applies nothing. */
export function renderNft(op: NftApplyOp): { argv: string[]; input: string } {
  optNs(op.netns);
  return { argv: ['nft', '-f', '-'], input: op.script.endsWith('\n') ? op.script : `${op.script}\n` };
}

function ovsValue(v: string | number | boolean): string {
  // OVSDB atoms: quote strings so MACs (':'), spaces, etc. parse as one string.
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function ovsColumnKey(k: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(:[A-Za-z0-9_.-]+)?$/.test(k)) throw new InvalidNameError('ovs column', k, 'bad column[:key]');
  return k;
}

/** One subcommand's words (without the separating `--`). */
export function renderOvsCommand(c: OvsCommand): string[] {
  switch (c.cmd) {
    case 'add-br': {
      assertIfName(c.bridge);
      const a = [...(c.mayExist ? ['--may-exist'] : []), 'add-br', c.bridge];
      if (c.datapathType) a.push('--', 'set', 'Bridge', c.bridge, `datapath_type=${c.datapathType}`);
      return a;
    }
    case 'del-br':
      assertIfName(c.bridge);
      return [...(c.ifExists ? ['--if-exists'] : []), 'del-br', c.bridge];
    case 'add-port': {
      assertIfName(c.bridge);
      assertIfName(c.port);
      const a = [...(c.mayExist ? ['--may-exist'] : []), 'add-port', c.bridge, c.port];
      if (c.tag !== undefined) (assertInt('tag', c.tag, 0, 4095), a.push(`tag=${c.tag}`));
      const iface = Object.entries(c.iface ?? {});
      if (iface.length > 0) a.push('--', 'set', 'Interface', c.port, ...iface.map(([k, v]) => `${ovsColumnKey(k)}=${ovsValue(v)}`));
      return a;
    }
    case 'del-port': {
      assertIfName(c.port);
      const a = [...(c.ifExists ? ['--if-exists'] : []), 'del-port'];
      if (c.bridge !== undefined) (assertIfName(c.bridge), a.push(c.bridge));
      a.push(c.port);
      return a;
    }
    case 'set':
      assertIfName(c.record === '.' ? 'x' : c.record);
      return [...(c.ifExists ? ['--if-exists'] : []), 'set', c.table, c.record, ...Object.entries(c.values).map(([k, v]) => `${ovsColumnKey(k)}=${ovsValue(v)}`)];
    case 'clear':
      assertIfName(c.record);
      return [...(c.ifExists ? ['--if-exists'] : []), 'clear', c.table, c.record, ovsColumnKey(c.column)];
  }
}

/** One ovs-vsctl transaction: `ovs-vsctl [global…] -- sub1 -- sub2 …`. */
export function renderOvsVsctl(commands: readonly OvsCommand[], globalArgs: readonly string[] = []): string[] {
  const argv = ['ovs-vsctl', ...globalArgs];
  for (const c of commands) argv.push('--', ...renderOvsCommand(c));
  return argv;
}
