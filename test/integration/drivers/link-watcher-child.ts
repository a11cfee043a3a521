/**
 * Child process for link-watcher.test.ts, started as
 * `ip netns exec NS node dist/test/integration/drivers/link-watcher-child.js` with
 * LINK_WATCHER_CHILD set to JSON options ({ prefix, rescanIntervalMs?, recvBufferSize? }).
 * The netlink socket belongs to the process's namespace, hence a child per namespace.
 *
 * stdout: one JSON object per line: { type: 'change', added, removed, changed, full },
 * { type: 'ready' }, { type: 'stopped' }. Logs (pino) go to stderr.
 * SIGUSR2 calls stop(); the process must then exit by itself.
 * Without LINK_WATCHER_CHILD (e.g. picked up by `node --test <dir>`) it does nothing.
 */
import { hostname } from 'node:os';
import { createRootLogger } from '../../../shared/logging/logger.js';
import { LinkWatcher } from '../../../shared/drivers/link-watcher.js';

interface ChildOptions {
  prefix: string | string[];
  rescanIntervalMs?: number;
  recvBufferSize?: number;
}

const raw = process.env.LINK_WATCHER_CHILD;
if (raw !== undefined && raw !== '') {
  const opts = JSON.parse(raw) as ChildOptions;
  const out = (o: object): void => {
    process.stdout.write(`${JSON.stringify(o)}\n`);
  };
  const logger = createRootLogger({ agent: 'link-watcher-child', host: hostname(), level: 'info', destination: process.stderr });
  const watcher = new LinkWatcher({
    prefix: opts.prefix,
    logger,
    ...(opts.rescanIntervalMs !== undefined ? { rescanIntervalMs: opts.rescanIntervalMs } : {}),
    ...(opts.recvBufferSize !== undefined ? { recvBufferSize: opts.recvBufferSize } : {}),
  });
  watcher.on('change', (ev) => out({ type: 'change', ...ev }));
  process.on('SIGUSR2', () => {
    watcher.stop();
    out({ type: 'stopped' });
  });
  watcher.start().then(
    () => out({ type: 'ready' }),
    (err: unknown) => {
      logger.error({ err }, 'start failed');
      process.exitCode = 1;
    },
  );
}
