/**
 * OvsdbClient against a real ovsdb-server 3.1 (a lone server we own, in a throwaway
 * namespace): list_dbs, monitor + update notifications for a transact, the server's
 * own errors as typed errors, connect failures, and tcp: (run inside the namespace,
 * where 127.0.0.1:6640 is ours alone).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { OvsdbClient, type OvsdbTableUpdates } from '../../../shared/drivers/ovs/ovsdb-client.js';
import { OvsdbConnectionError, OvsdbRpcError, OvsdbTransactionError } from '../../../shared/drivers/ovs/ovsdb-errors.js';
import { OvsNetns } from './netns.js';
import { LoneOvsdbServer, waitFor } from './ovsdb-helpers.js';

const nets = new OvsNetns();
let ns = '';
let srv: LoneOvsdbServer | undefined;
const clients: OvsdbClient[] = [];

before(async () => {
  ns = await nets.add('cl');
  srv = new LoneOvsdbServer(ns);
  await srv.create();
});

after(async () => {
  for (const c of clients) c.close();
  await srv?.stop();
  await nets.cleanup();
});

function server(): LoneOvsdbServer {
  if (!srv) throw new Error('ovsdb-server did not start');
  return srv;
}

async function connect(): Promise<OvsdbClient> {
  const c = await OvsdbClient.connect(server().dbUrl);
  clients.push(c);
  return c;
}

test('list_dbs and echo over unix:', async () => {
  const c = await connect();
  assert.deepEqual((await c.listDbs()).filter((d) => d === 'Open_vSwitch'), ['Open_vSwitch']);
  assert.deepEqual(await c.echo(['ping', 1]), ['ping', 1]);
  c.close();
});

test('monitor returns the initial rows; a transact shows up as one update notification', async () => {
  const c = await connect();
  const br = `${nets.prefix}m`;
  await server().vsctl(['add-br', br]);
  const updates: OvsdbTableUpdates[] = [];
  c.on('update', (id, u) => { if (id === 'it') updates.push(u); });
  const initial = await c.monitor('Open_vSwitch', 'it', { Bridge: { columns: ['name', 'external_ids'] } });
  assert.ok(Object.values(initial['Bridge'] ?? {}).some((r) => r.new?.['name'] === br));
  const res = await c.transact('Open_vSwitch', [
    { op: 'update', table: 'Bridge', where: [['name', '==', br]], row: { external_ids: ['map', [['k', 'v']]] } },
  ]);
  assert.deepEqual(res, [{ count: 1 }]);
  await waitFor(() => updates.length > 0, 5000, 'update');
  const row = Object.values(updates[0]?.['Bridge'] ?? {})[0];
  assert.deepEqual(row?.new?.['external_ids'], ['map', [['k', 'v']]]);
  assert.deepEqual(row?.old, { external_ids: ['map', []] }, 'modify: old holds only the changed columns');
  await c.monitorCancel('it');
  c.close();
});

test("the server's errors: unknown database (OvsdbRpcError), a failing operation (OvsdbTransactionError)", async () => {
  const c = await connect();
  await assert.rejects(c.request('get_schema', ['NoSuchDb']), (e: unknown) => e instanceof OvsdbRpcError && e.method === 'get_schema' && e.error === 'unknown database' && /NoSuchDb/.test(e.details ?? ''));
  await assert.rejects(c.transact('Open_vSwitch', [{ op: 'select', table: 'NoSuchTable', where: [] }]), (e: unknown) => e instanceof OvsdbTransactionError && e.opIndex === 0 && /No table named NoSuchTable/.test(e.message));
  // Port.tag allows 0..4095 only.
  const br = `${nets.prefix}e`;
  await server().vsctl(['add-br', br]);
  await assert.rejects(c.transact('Open_vSwitch', [
    { op: 'update', table: 'Port', where: [['name', '==', br]], row: { tag: 5000 } },
  ]), (e: unknown) => e instanceof OvsdbTransactionError && e.error === 'constraint violation');
  assert.equal(c.isClosed, false, 'errors do not close the connection');
  c.close();
});

test('connect failures are OvsdbConnectionError with the cause; passive remotes are refused before connecting', async () => {
  await assert.rejects(OvsdbClient.connect(`unix:${server().dir}/missing.sock`), (e: unknown) => e instanceof OvsdbConnectionError
    && /connect failed: .*ENOENT/.test(e.message) && e.kind === 'TRANSIENT' && (e.cause as { code?: string }).code === 'ENOENT');
  await assert.rejects(OvsdbClient.connect(`punix:${server().sock}`), /passive \(server-side\)/);
});

test('tcp: inside the namespace, and a refused tcp: connection', async () => {
  const ctl = server().ctl;
  await execa('ovs-appctl', ['-t', ctl, 'ovsdb-server/add-remote', 'ptcp:6640:127.0.0.1']);
  const clientJs = fileURLToPath(new URL('../../../shared/drivers/ovs/ovsdb-client.js', import.meta.url));
  const script = [
    `import { OvsdbClient } from ${JSON.stringify(clientJs)};`,
    "const c = await OvsdbClient.connect('tcp:127.0.0.1:6640');",
    'const dbs = await c.listDbs();',
    'c.close();',
    "let refused = '';",
    "try { await OvsdbClient.connect('tcp:127.0.0.1:6641'); } catch (e) { refused = `${e.name}: ${e.message}`; }",
    'console.log(JSON.stringify({ dbs, refused }));',
  ].join('\n');
  try {
    const r = await nets.exec(ns, [process.execPath, '--input-type=module', '-e', script]);
    const out = JSON.parse(r.stdout) as { dbs: string[]; refused: string };
    assert.ok(out.dbs.includes('Open_vSwitch'));
    assert.match(out.refused, /^OvsdbConnectionError: ovsdb tcp:127.0.0.1:6641: connect failed: .*ECONNREFUSED/);
  } finally {
    await execa('ovs-appctl', ['-t', ctl, 'ovsdb-server/remove-remote', 'ptcp:6640:127.0.0.1'], { reject: false });
  }
});
