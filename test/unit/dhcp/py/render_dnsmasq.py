#!/usr/bin/python3
"""Renders dnsmasq's argv and files with Neutron's own Dnsmasq driver.

Test helper for test/unit/dhcp: reads JSON on stdin
  {"cases": [{"name", "network", "conf": {oslo option: value}, "env":
              {"dhcpPortId", "hostTagSupported", "bridged"}}],
   "device_ids": [{"host", "network_id", "segmentation_id"?}]}
and prints JSON
  {"cases": {name: {"argv", "host", "addn_hosts", "opts", "should_enable_metadata"}},
   "device_ids": [str]}.

Nothing touches the host: file writes are captured, the kernel read of the DHCP
interface's addresses is answered from the DHCP port (as DeviceManager.setup
would have configured it), the dnsmasq host-tag probe and the interface driver
are replaced by the env values. Run with /usr/bin/python3 (Debian's neutron).
"""
import json
import sys
from unittest import mock

import netaddr
from oslo_config import cfg

from neutron.agent.linux import dhcp
from neutron.common import utils as common_utils
from neutron.conf.agent import common as agent_config
from neutron.conf.agent import dhcp as dhcp_config
from neutron.conf import common as base_config


def make_conf(overrides):
    conf = agent_config.setup_conf()
    conf.register_opts(base_config.core_opts)
    conf.register_opts(dhcp_config.DHCP_AGENT_OPTS)
    conf.register_opts(dhcp_config.DHCP_OPTS)
    conf.register_opts(dhcp_config.DNSMASQ_OPTS)
    conf.register_opts(agent_config.DHCP_PROTOCOL_OPTS)
    agent_config.register_external_process_opts(conf)
    agent_config.register_interface_driver_opts_helper(conf)
    conf([], project='neutron', default_config_files=[])
    for key, value in overrides.items():
        conf.set_override(key, value)
    return conf


def interface_cidrs(conf, network, port_id):
    """The addresses DeviceManager.setup puts on the DHCP port's device."""
    port = next((p for p in network.ports if p.id == port_id), None)
    if port is None:
        return []
    dhcp_subnets = {s.id: s for s in network.subnets if s.enable_dhcp}
    cidrs = ['%s/%s' % (f.ip_address,
                        netaddr.IPNetwork(dhcp_subnets[f.subnet_id].cidr).prefixlen)
             for f in port.fixed_ips if f.subnet_id in dhcp_subnets]
    if conf.force_metadata or conf.enable_isolated_metadata:
        cidrs += ['169.254.169.254/32', 'fe80::a9fe:a9fe/128']
    return [{'cidr': c} for c in cidrs]


def render(case):
    conf = make_conf(case.get('conf', {}))
    env = case.get('env', {})
    port_id = env.get('dhcpPortId')
    network = dhcp.NetModel(case['network'])
    ifname = ('ns-' + port_id)[:14] if port_id else None
    written = {}

    def replace_file(path, data, *args, **kwargs):
        written[path] = data

    with mock.patch.object(dhcp, 'DeviceManager') as dm_cls, \
            mock.patch.object(dhcp.fileutils, 'ensure_tree'), \
            mock.patch.object(dhcp.file_utils, 'replace_file', replace_file), \
            mock.patch.object(dhcp.os, 'makedirs'), \
            mock.patch.object(dhcp.Dnsmasq, 'interface_name',
                              new_callable=mock.PropertyMock,
                              return_value=ifname), \
            mock.patch.object(dhcp.Dnsmasq, '_is_dnsmasq_host_tag_supported',
                              return_value=env.get('hostTagSupported', True)), \
            mock.patch.object(dhcp.ip_lib, 'get_devices_with_ip',
                              return_value=interface_cidrs(conf, network, port_id)):
        dm_cls.return_value.driver.bridged = env.get('bridged', True)
        dm = dhcp.Dnsmasq(conf, network, process_monitor=mock.Mock(),
                          plugin=mock.Mock())
        argv = dm._build_cmdline_callback(dm.get_conf_file_name('pid'))
        files = {kind: written[getattr(dm, method)()] for kind, method in (
            ('host', '_output_hosts_file'),
            ('addn_hosts', '_output_addn_hosts_file'),
            ('opts', '_output_opts_file'))}
        enable_metadata = dhcp.Dnsmasq.should_enable_metadata(conf, network)
    return dict(argv=argv, should_enable_metadata=enable_metadata, **files)


def main():
    req = json.load(sys.stdin)
    out = {'cases': {}, 'device_ids': []}
    for case in req.get('cases', []):
        out['cases'][case['name']] = render(case)
    for d in req.get('device_ids', []):
        out['device_ids'].append(common_utils.get_dhcp_agent_device_id(
            d['network_id'], d['host'], d.get('segmentation_id')))
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
