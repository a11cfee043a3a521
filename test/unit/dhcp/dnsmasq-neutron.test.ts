/**
 * The dnsmasq renderer against Neutron 21 itself: every fixture is rendered by
 * Neutron's Dnsmasq driver (py/render_dnsmasq.py) and by renderDnsmasq, and the
 * argv and the host / addn_hosts / opts files must be equal byte for byte.
 * Both sides use the same dhcp_confs, so no path needs normalising.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { dhcpDeviceId, parseNetwork, renderDnsmasq, shouldServeMetadata, DNSMASQ_DEFAULTS } from '../../../agents/dhcp/dnsmasq/index.js';
import type { DnsmasqConf, DnsmasqEnv } from '../../../agents/dhcp/dnsmasq/index.js';
import { CASES, DEVICE_IDS, MALFORMED, METADATA_CONFS } from './fixtures.js';
import { renderWithNeutron, skipReason, type PyCase, type PyResult } from './neutron.js';

const skip = skipReason;

const metadataCases: PyCase[] = CASES.flatMap((c) =>
  METADATA_CONFS.map((m, i) => ({ name: `${c.name} #meta${i}`, network: c.network, conf: { ...(c.conf ?? {}), enable_isolated_metadata: false, force_metadata: false, enable_metadata_network: false, ...m }, env: c.env ?? {} })),
);
const malformedCase: PyCase = { name: 'malformed (cleaned)', network: MALFORMED.clean, conf: { dhcp_confs: '/var/lib/neutron/dhcp' } };

let neutron: PyResult;
before(() => {
  if (skip) return;
  neutron = renderWithNeutron([...CASES, ...metadataCases, malformedCase], DEVICE_IDS);
});

function ours(c: PyCase): ReturnType<typeof renderDnsmasq> {
  return renderDnsmasq(c.network, (c.conf ?? {}) as Partial<DnsmasqConf>, (c.env ?? {}) as Partial<DnsmasqEnv>);
}

describe('dnsmasq argv and files equal Neutron 21', () => {
  for (const c of CASES) {
    test(c.name, { skip }, () => {
      const expected = neutron.cases[c.name];
      assert.ok(expected, 'Neutron rendered the case');
      const got = ours(c);
      assert.deepEqual(got.problems, []);
      assert.deepEqual(got.argv, expected.argv, 'argv');
      assert.equal(got.files.host, expected.host, 'host file');
      assert.equal(got.files.addn_hosts, expected.addn_hosts, 'addn_hosts file');
      assert.equal(got.files.opts, expected.opts, 'opts file');
    });
  }
});

describe('shouldServeMetadata equals Dnsmasq.should_enable_metadata', () => {
  test(`${metadataCases.length} network × option combinations`, { skip }, () => {
    let served = 0;
    for (const c of metadataCases) {
      const network = parseNetwork(c.network, []);
      assert.ok(network);
      const got = shouldServeMetadata(network, { ...DNSMASQ_DEFAULTS, ...(c.conf as Partial<DnsmasqConf>) });
      assert.equal(got, neutron.cases[c.name]?.should_enable_metadata, c.name);
      if (got) served++;
    }
    // The fixtures must exercise both answers, or this test proves little.
    assert.ok(served > 0 && served < metadataCases.length);
  });
});

describe('malformed subnets and ports', () => {
  test('are skipped and listed in problems; the rest renders as Neutron renders the cleaned network', { skip }, () => {
    const got = renderDnsmasq(MALFORMED.raw, { dhcp_confs: '/var/lib/neutron/dhcp' });
    assert.deepEqual(got.problems.map((p) => p.path), MALFORMED.problemPaths);
    const expected = neutron.cases[malformedCase.name];
    assert.ok(expected);
    assert.deepEqual(got.argv, expected.argv);
    assert.equal(got.files.host, expected.host);
    assert.equal(got.files.addn_hosts, expected.addn_hosts);
    assert.equal(got.files.opts, expected.opts);
  });
});

describe('dhcpDeviceId equals get_dhcp_agent_device_id', () => {
  test('short host name, FQDN, unicode, segmentation id', { skip }, () => {
    assert.deepEqual(DEVICE_IDS.map((d) => dhcpDeviceId(d.host, d.network_id, d.segmentation_id)), neutron.device_ids);
  });
});
