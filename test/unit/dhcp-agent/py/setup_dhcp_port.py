#!/usr/bin/python3
"""Drives Neutron's own DeviceManager.setup_dhcp_port with a recording fake plugin.

Test helper for test/unit/dhcp-agent: reads JSON on stdin
  {"host": str, "cases": [{"name": str, "network": {...network dict...}}]}
and prints JSON
  {"cases": {name: {"device_id": str, "calls": [{"method", "args"}]}}}
with the plugin calls setup_dhcp_port made (update_dhcp_port / create_dhcp_port,
their arguments as Neutron passed them). The fake plugin answers an update or a
create with a port that has an address on every subnet asked for, so Neutron's
follow-up checks pass. Nothing touches the host: the linuxbridge interface driver
is only constructed. Run with /usr/bin/python3 (Debian's neutron).
"""
import json
import sys

from neutron.agent.linux import dhcp
from neutron.conf.agent import common as agent_config
from neutron.conf.agent import dhcp as dhcp_config
from neutron.conf import common as base_config
from oslo_config import cfg


def make_conf(host):
    conf = cfg.ConfigOpts()
    conf.register_opts(base_config.core_opts)
    conf.register_opts(dhcp_config.DHCP_AGENT_OPTS)
    conf.register_opts(dhcp_config.DHCP_OPTS)
    agent_config.register_interface_driver_opts_helper(conf)
    agent_config.register_interface_opts(conf)
    conf([], project='neutron', default_config_files=[])
    conf.set_override('host', host)
    conf.set_override('interface_driver', 'linuxbridge')
    return conf


class FakePlugin(object):
    def __init__(self, network):
        self.network = network
        self.calls = []
        self.n = 0

    def get_networks(self, *args, **kwargs):
        return []

    def _answer(self, port_id, body, base):
        port = dict(base)
        port.update(body)
        port['id'] = port_id
        ips = []
        for f in body.get('fixed_ips', base.get('fixed_ips', [])):
            self.n += 1
            ips.append({'subnet_id': f['subnet_id'],
                        'ip_address': f.get('ip_address') or '192.0.2.%d' % self.n})
        port['fixed_ips'] = ips
        port.setdefault('mac_address', 'fa:16:3e:00:00:01')
        return dhcp.DictModel(port)

    def update_dhcp_port(self, port_id, port):
        self.calls.append({'method': 'update_dhcp_port',
                           'args': {'port_id': port_id, 'port': port}})
        base = next((p for p in self.network['ports'] if p['id'] == port_id), {})
        return self._answer(port_id, port['port'], base)

    def create_dhcp_port(self, port):
        self.calls.append({'method': 'create_dhcp_port', 'args': {'port': port}})
        return self._answer('new-port', port['port'], {})

    def get_dhcp_port(self, port_id):
        raise AssertionError('get_dhcp_port not expected')


def main():
    req = json.load(sys.stdin)
    conf = make_conf(req['host'])
    out = {'cases': {}}
    for case in req['cases']:
        plugin = FakePlugin(case['network'])
        dm = dhcp.DeviceManager(conf, plugin)
        network = dhcp.NetModel(case['network'])
        device_id = dm.get_device_id(network)
        dm.setup_dhcp_port(network)
        out['cases'][case['name']] = {'device_id': device_id, 'calls': plugin.calls}
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
