import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommandRunner, RunResult } from '../../../shared/exec/command-runner.js';
import { firewallLinesFor } from '../../../shared/firewall/trace-lines.js';

const P = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const SAVED: Record<string, string> = {
  'iptables-save -t filter': [
    '*filter',
    ':neutron-openvswi-iaaaaaaaa-b - [0:0]',
    '-A neutron-openvswi-sg-chain -m physdev --physdev-out tapaaaaaaaa-bb --physdev-is-bridged -j neutron-openvswi-iaaaaaaaa-b',
    '-A neutron-openvswi-iaaaaaaaa-b -p icmp -j RETURN',
    '-A neutron-openvswi-sg-chain -m physdev --physdev-out tapcccccccc-dd --physdev-is-bridged -j neutron-openvswi-icccccccc-d',
    'COMMIT',
  ].join('\n'),
  'iptables-save -t raw': '-A neutron-openvswi-PREROUTING -m physdev --physdev-in qvbaaaaaaaa-bb -m comment --comment "Set zone for x" -j CT --zone 4097\n',
};

class SavedTables implements CommandRunner {
  async run(argv: readonly string[]): Promise<RunResult> {
    const out = SAVED[argv.join(' ')];
    if (out === undefined) throw new Error(`${argv[0]}: not found`);
    return { stdout: out, stderr: '', exitCode: 0, durationMs: 1 };
  }
}

test('the port\'s rules from the filter and raw tables, labelled; other ports\' left out; a failing tool gives nothing', async () => {
  const lines = await firewallLinesFor(new SavedTables(), [P.toUpperCase()]);
  assert.deepEqual(lines, [
    'v4 filter: -A neutron-openvswi-sg-chain -m physdev --physdev-out tapaaaaaaaa-bb --physdev-is-bridged -j neutron-openvswi-iaaaaaaaa-b',
    'v4 filter: -A neutron-openvswi-iaaaaaaaa-b -p icmp -j RETURN',
    'v4 raw: -A neutron-openvswi-PREROUTING -m physdev --physdev-in qvbaaaaaaaa-bb -m comment --comment "Set zone for x" -j CT --zone 4097',
  ]);
  assert.deepEqual(await firewallLinesFor(new SavedTables(), ['short']), [], 'no usable id: nothing read');
});
