"""Installs on a real OVS bridge the flows Neutron Zed's own OVS agent code installs.

Used by test/integration/ovs/flows-neutron.test.ts to compare, dump for dump, a bridge
programmed by nucleon's renderers with one programmed by Neutron. Neutron's native
OpenFlow bridge classes (br_int.OVSIntegrationBridge, br_tun.OVSTunnelBridge,
br_phys.OVSPhysicalBridge) and the agent's own functions (setup_arp_spoofing_protection,
add_fdb_flow, setup_entry_for_arp_reply) are driven in the order ovs_neutron_agent does
on a full sync; the os-ken OpenFlow 1.3 messages they produce (FLOW_MODs, deletes
included) are written, byte for byte, to the bridge's management socket.

Only the agent's sequencing is restated here (setup_integration_br, setup_physical_bridges,
provision_local_vlan, port_dead, _bind_devices, setup_tunnel_br_flows, _setup_tunnel_port,
fdb_add); every flow is built by Neutron's code.

stdin: {"requests": [{"bridge": "int"|"tun"|"phys", "mgmt": "<path of <bridge>.mgmt>",
        "cookie": int, "input": <the nucleon renderer input, Maps as objects>}, ...]}
stdout: {"results": [{"sent": <messages>, "errors": [<OFPT_ERROR as hex>]}, ...]}
(one process for many bridges: importing Neutron takes seconds)
"""
import json
import socket
import struct
import sys
import types

from os_ken.ofproto import ofproto_v1_3 as ofp
from os_ken.ofproto import ofproto_v1_3_parser as ofpp

from neutron.plugins.ml2.drivers.l2pop.rpc import PortInfo
from neutron.plugins.ml2.drivers.openvswitch.agent import ovs_neutron_agent as ona
from neutron.plugins.ml2.drivers.openvswitch.agent.openflow.native import br_int
from neutron.plugins.ml2.drivers.openvswitch.agent.openflow.native import br_phys
from neutron.plugins.ml2.drivers.openvswitch.agent.openflow.native import br_tun
from neutron_lib import constants as n_const

OFPT_ERROR, OFPT_ECHO_REQUEST, OFPT_ECHO_REPLY = 1, 2, 3
OFPT_BARRIER_REQUEST, OFPT_BARRIER_REPLY = 20, 21


class FakeDatapath(object):
    """What os-ken's message classes need of a datapath to serialise."""
    ofproto = ofp
    ofproto_parser = ofpp
    id = 1


class Channel(object):
    """A bare OpenFlow 1.3 connection to ovs-vswitchd's <bridge>.mgmt socket."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(path)
        self.xid = 0
        self.errors = []
        self._send_raw(0, b'')            # OFPT_HELLO
        self._read()                      # the switch's HELLO

    def _send_raw(self, msg_type, body, xid=None):
        self.xid += 1
        xid = self.xid if xid is None else xid
        self.sock.sendall(struct.pack('!BBHI', ofp.OFP_VERSION, msg_type,
                                      8 + len(body), xid) + body)
        return xid

    def _read(self):
        head = self._recv(8)
        _version, msg_type, length, xid = struct.unpack('!BBHI', head)
        body = self._recv(length - 8)
        if msg_type == OFPT_ECHO_REQUEST:
            self._send_raw(OFPT_ECHO_REPLY, body, xid)
        elif msg_type == OFPT_ERROR:
            self.errors.append((head + body).hex())
        return msg_type, xid

    def _recv(self, n):
        buf = b''
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise RuntimeError('switch closed the connection')
            buf += chunk
        return buf

    def send(self, msg):
        self.xid += 1
        msg.xid = self.xid
        msg.serialize()
        self.sock.sendall(bytes(msg.buf))

    def barrier(self):
        xid = self._send_raw(OFPT_BARRIER_REQUEST, b'')
        while True:
            msg_type, got = self._read()
            if msg_type == OFPT_BARRIER_REPLY and got == xid:
                return


def bridge(cls, name, channel, cookie):
    """A Neutron bridge object whose OpenFlow messages go to `channel`; no OVSDB."""
    br = cls.__new__(cls)
    br.br_name = name
    br._default_cookie = cookie
    dp = FakeDatapath()
    br._get_dp = lambda: (dp, ofp, ofpp)
    br.sent = 0

    def send_msg(msg, reply_cls=None, reply_multi=False, active_bundle=None):
        channel.send(msg)
        br.sent += 1
        return None
    br._send_msg = send_msg
    # A fresh bridge: set_allowed_macs_for_port finds no earlier MAC flows.
    br.dump_flows = lambda table_id=None: []
    return br


def program_int(br, inp):
    # setup_integration_br
    br.setup_default_table(enable_openflow_dhcp=False, enable_dhcpv6=False)
    # setup_physical_bridges: drop what no local VLAN claims from each int-<br>
    for _physnet, ofport in inp['physPatchOfports'].items():
        br.drop_port(in_port=ofport)
    # provision_local_vlan -> _local_vlan_for_physical (br-int half)
    for lv in inp['localVlans']:
        if lv['networkType'] not in ('flat', 'vlan'):
            continue
        port = inp['physPatchOfports'].get(lv.get('physicalNetwork'))
        if port is None:
            continue
        seg = lv['segmentationId'] if lv['networkType'] == 'vlan' else None
        br.provision_local_vlan(port=port, lvid=lv['localVlan'], segmentation_id=seg)
    prevent = inp.get('preventArpSpoofing', False) and not inp['firewallEnabled']
    for p in inp['ports']:
        vif = types.SimpleNamespace(ofport=p['ofport'], port_name=p['device'], vif_mac=p['mac'])
        if not p['adminStateUp']:
            br.drop_port(in_port=p['ofport'])      # port_dead
            continue
        if prevent:                                  # _bind_devices
            details = {
                'port_security_enabled': p['portSecurityEnabled'],
                'device_owner': p['deviceOwner'],
                'fixed_ips': [{'ip_address': ip} for ip in p['fixedIps']],
                'allowed_address_pairs': [
                    {'ip_address': a['ipAddress'], 'mac_address': a['macAddress']}
                    for a in p['allowedAddressPairs']],
            }
            ona.OVSNeutronAgent.setup_arp_spoofing_protection(br, vif, details)
    for ofport in inp.get('deadOfports', []):
        br.drop_port(in_port=ofport)


def program_tun(br, inp):
    l2pop = inp['l2Population']
    arp_responder = inp['arpResponder'] and l2pop
    br.setup_default_table(inp['patchIntOfport'], arp_responder)
    ofport_by_ip = {}
    for t in inp['tunnels']:                         # _setup_tunnel_port
        br.setup_tunnel_port('vxlan', t['ofport'])
        ofport_by_ip[t['remoteIp']] = t['ofport']
    agent = types.SimpleNamespace(arp_responder_enabled=arp_responder)
    agent.setup_entry_for_arp_reply = types.MethodType(ona.OVSNeutronAgent.setup_entry_for_arp_reply, agent)
    for lv in inp['localVlans']:
        if lv['networkType'] != 'vxlan':
            continue
        vid, seg = lv['localVlan'], lv['segmentationId']
        # provision_local_vlan: Python floods to every tunnel port it has at this
        # point, l2pop or not; with l2pop the flooding entries below replace that flow.
        ofports = list(ofport_by_ip.values())
        if ofports:
            br.install_flood_to_tun(vid, seg, ofports)
        br.provision_local_vlan(network_type='vxlan', lvid=vid, segmentation_id=seg)
        if not l2pop:
            continue
        lvm = types.SimpleNamespace(vlan=vid, segmentation_id=seg, network_type='vxlan', tun_ofports=set())
        for vtep, pairs in inp['fdb'].get(lv['networkId'], {}).items():   # fdb_add
            if vtep == inp['localIp'] or vtep not in ofport_by_ip:
                continue
            for mac, ip in pairs:
                info = PortInfo(mac, ip)
                if mac == n_const.FLOODING_ENTRY[0] and info != n_const.FLOODING_ENTRY:
                    continue    # never sent by the server; nucleon treats it as flooding only
                ona.OVSNeutronAgent.add_fdb_flow(agent, br, info, vtep, lvm, ofport_by_ip[vtep])


def program_phys(br, inp):
    br.setup_default_table()                         # setup_physical_bridges
    br.drop_port(in_port=inp['phyPatchOfport'])
    for lv in inp['localVlans']:                     # _local_vlan_for_physical
        if lv.get('physicalNetwork') != inp['physicalNetwork'] or lv['networkType'] not in ('flat', 'vlan'):
            continue
        seg = lv['segmentationId'] if lv['networkType'] == 'vlan' else None
        br.provision_local_vlan(port=inp['phyPatchOfport'], lvid=lv['localVlan'],
                                segmentation_id=seg, distributed=False)


def run(req):
    channel = Channel(req['mgmt'])
    kind = req['bridge']
    cls, program = {
        'int': (br_int.OVSIntegrationBridge, program_int),
        'tun': (br_tun.OVSTunnelBridge, program_tun),
        'phys': (br_phys.OVSPhysicalBridge, program_phys),
    }[kind]
    br = bridge(cls, kind, channel, req.get('cookie', 0))
    program(br, req['input'])
    channel.barrier()
    channel.sock.close()
    return {'sent': br.sent, 'errors': channel.errors}


def main():
    reqs = json.load(sys.stdin)['requests']
    json.dump({'results': [run(r) for r in reqs]}, sys.stdout)


if __name__ == '__main__':
    main()
