#!/usr/bin/python3
"""Python oslo.messaging 14.0.3 peer for nucleon's interop tests and benchmark.

Run with Debian's /usr/bin/python3 (the pyenv python3 on PATH lacks the packages).

  peer.py --url URL --exchange EX --topic T [--server HOST] [--rabbit-opt k=v ...]
          [--ops JSON]

--server HOST   run an RPC server (endpoint version 1.3) on topic T / HOST.
--ops JSON      a list of client operations, run after the server (if any) is up:
                {"op": "call"|"cast"|"fanout", "method", "args", "server", "version",
                 "timeout"} or {"op": "bench", "method", "args", "n", "server"}.
Every event is one JSON line on stdout: {"event": "ready", "queues": [...]},
{"event": "result", "i": n, "ok": true, "result": ...} / {"ok": false, "exc_class",
"exc_module", "exc_type", "value", "str"}, {"event": "cast", "method", "args", "ctxt"},
{"event": "done", "reply_q": ...}. With --server the process then serves until
stdin closes; without, it exits after the ops.
"""
import argparse
import json
import os
import sys
import tempfile
import threading
import time

from oslo_config import cfg
import oslo_messaging as om

out_lock = threading.Lock()


def emit(obj):
    with out_lock:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


class Endpoint(object):
    target = om.Target(version='1.3')

    def __init__(self, host):
        self.host = host

    def echo(self, ctxt, **kwargs):
        return {'host': self.host, 'args': kwargs}

    def whoami(self, ctxt):
        return self.host

    def ctx(self, ctxt):
        return ctxt

    def note(self, ctxt, **kwargs):
        emit({'event': 'cast', 'method': 'note', 'args': kwargs,
              'ctxt_keys': sorted(ctxt.keys())})

    def boom(self, ctxt):
        raise ValueError('bad thing')

    def sleep(self, ctxt, seconds):
        time.sleep(seconds)
        return 'slept'


def write_config(args):
    lines = ['[DEFAULT]', 'control_exchange = %s' % args.exchange,
             '[oslo_messaging_rabbit]']
    for kv in args.rabbit_opt:
        k, v = kv.split('=', 1)
        lines.append('%s = %s' % (k, v))
    fd, path = tempfile.mkstemp(suffix='.conf')
    with os.fdopen(fd, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return path


def describe_exc(e):
    d = {'ok': False, 'exc_class': type(e).__name__,
         'exc_module': type(e).__module__, 'str': str(e)}
    if isinstance(e, om.RemoteError):
        d['exc_type'] = e.exc_type
        d['value'] = e.value
    return d


def run_ops(transport, args, ops):
    target = om.Target(topic=args.topic)
    client = om.get_rpc_client(transport, target) if hasattr(om, 'get_rpc_client') \
        else om.RPCClient(transport, target)
    ctxt = {'request_id': 'req-python-peer', 'tenant_id': 'p1', 'is_admin': True}
    for i, op in enumerate(ops):
        kw = {}
        for k in ('server', 'version', 'timeout'):
            if op.get(k) is not None:
                kw[k] = op[k]
        if op['op'] == 'fanout':
            kw['fanout'] = True
        cctx = client.prepare(**kw)
        try:
            if op['op'] == 'call':
                res = cctx.call(ctxt, op['method'], **op.get('args', {}))
                emit({'event': 'result', 'i': i, 'ok': True, 'result': res})
            elif op['op'] in ('cast', 'fanout'):
                cctx.cast(ctxt, op['method'], **op.get('args', {}))
                emit({'event': 'result', 'i': i, 'ok': True, 'result': None})
            elif op['op'] == 'bench':
                n = int(op['n'])
                lat = []
                t0 = time.perf_counter()
                for _ in range(n):
                    s = time.perf_counter()
                    cctx.call(ctxt, op['method'], **op.get('args', {}))
                    lat.append((time.perf_counter() - s) * 1000.0)
                total = time.perf_counter() - t0
                emit({'event': 'result', 'i': i, 'ok': True,
                      'result': {'latencies_ms': lat, 'total_s': total}})
        except Exception as e:  # noqa: BLE001 - reported to the test
            d = describe_exc(e)
            d.update({'event': 'result', 'i': i})
            emit(d)


def server_queues(server):
    try:
        conn = server.listener._poll_style_listener.conn
        return [c.queue_name for c in conn._consumers]
    except Exception:  # noqa: BLE001 - best effort, for test cleanup only
        return []


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--url', required=True)
    p.add_argument('--exchange', required=True)
    p.add_argument('--topic', required=True)
    p.add_argument('--server')
    p.add_argument('--rabbit-opt', action='append', default=[])
    p.add_argument('--ops', default='[]')
    args = p.parse_args()

    # The global CONF, as Neutron uses: some oslo.messaging options (metrics)
    # are only registered there.
    conf = cfg.CONF
    path = write_config(args)
    try:
        conf(['--config-file', path], project='nucleon-interop')
    finally:
        os.unlink(path)
    transport = om.get_rpc_transport(conf, url=args.url)

    server = None
    if args.server:
        target = om.Target(topic=args.topic, server=args.server)
        try:
            server = om.get_rpc_server(transport, target, [Endpoint(args.server)],
                                       executor='threading')
            server.start()
        except Exception as e:  # noqa: BLE001 - reported to the test
            d = describe_exc(e)
            d.update({'event': 'server-error'})
            emit(d)
            sys.exit(3)
        emit({'event': 'ready', 'queues': server_queues(server)})

    run_ops(transport, args, json.loads(args.ops))
    emit({'event': 'done', 'reply_q': getattr(transport._driver, '_reply_q', None)})

    if server is not None:
        sys.stdin.read()  # serve until the test closes our stdin
        server.stop()
        server.wait()
    # transport.cleanup() can wait ~10 s for the heartbeat thread; the broker
    # drops our connection on exit anyway, and the test deletes our queues.
    sys.stdout.flush()
    os._exit(0)


if __name__ == '__main__':
    main()
