/**
 * `node fake-nova-main.js <host> <port> <secret>`: the test Nova as a process (for
 * a node namespace, or a benchmark that should not share the client's event loop).
 * Prints "listening <port>" once ready.
 */
import { startFakeNova } from './fake-nova.js';

const [host = '127.0.0.1', port = '0', secret = ''] = process.argv.slice(2);
const nova = await startFakeNova({ host, port: Number(port), secret, record: false });
process.stdout.write(`listening ${nova.port}\n`);
process.on('SIGTERM', () => { void nova.close().then(() => process.exit(0)); });
