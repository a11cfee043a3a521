/** One readable line per op, for `nucleon diff` and logs: "link.set tap1f3c… master brq47ce…". */
import type { Op } from './ops.js';

export function describeOp(op: Op): string {
  const ns = 'netns' in op && op.netns ? ` (netns ${op.netns})` : '';
  switch (op.kind) {
    case 'netns.add': case 'netns.del': return `${op.kind} ${op.name}`;
    case 'link.add': return `link.add ${op.name} type ${op.link.type}${op.link.type === 'vxlan' ? ` id ${op.link.vni}${op.link.group ? ` group ${op.link.group}` : ''}${op.link.local ? ` local ${op.link.local}` : ''}` : ''}${op.link.type === 'veth' ? ` peer ${op.link.peer}${op.link.peerNetns ? ` in ${op.link.peerNetns}` : ''}` : ''}${op.mtu ? ` mtu ${op.mtu}` : ''}${ns}`;
    case 'link.set': {
      const parts = [op.master ? `master ${op.master}` : '', op.nomaster ? 'nomaster' : '', op.mtu ? `mtu ${op.mtu}` : '', op.up === true ? 'up' : op.up === false ? 'down' : '', op.address ? `address ${op.address}` : '', op.moveTo ? `netns ${op.moveTo}` : ''].filter(Boolean);
      return `link.set ${op.name} ${parts.join(' ')}${ns}`;
    }
    case 'link.del': return `link.del ${op.name}${ns}`;
    case 'addr.add': case 'addr.del': return `${op.kind} ${op.cidr} dev ${op.dev}${ns}`;
    case 'route.replace': case 'route.del': return `${op.kind} ${op.dst}${op.via ? ` via ${op.via}` : ''}${op.dev ? ` dev ${op.dev}` : ''}${ns}`;
    case 'neigh.replace': case 'neigh.del': return `${op.kind} ${op.ip}${'lladdr' in op && op.lladdr ? ` lladdr ${op.lladdr}` : ''} dev ${op.dev}${ns}`;
    case 'fdb.append': case 'fdb.del': return `${op.kind} ${op.mac} dev ${op.dev}${op.dst ? ` dst ${op.dst}` : ''}${ns}`;
    case 'sysctl.set': return `sysctl ${op.name}=${op.value}${ns}`;
    case 'iptables.restore': return `iptables-restore (IPv${op.family}, ${op.rules.split('\n').length} lines)${ns}`;
    case 'nft.apply': return `nft -f (${op.script.split('\n').length} lines)${ns}`;
    case 'ovs.vsctl': return `ovs-vsctl ${op.commands.map((c) => c.cmd).join(' -- ')}${ns}`;
    case 'file.write': return `write ${op.path} (${op.content.length} bytes)`;
    case 'file.remove': return `remove ${op.path}`;
    case 'process.signal': return `kill -${op.signal} ${op.pid}`;
    case 'process.start': return `start ${op.spec.id}`;
    case 'process.stop': return `stop ${op.id}`;
  }
}
