/**
 * Link notifications from the kernel through the `netlink` npm package (0.3.0, an
 * early N-API addon). The package's types are loose; nothing of them leaves this
 * file: callers see {@link LinkRecord} and {@link LinkEventSource} only.
 *
 * Quirks of netlink 0.3.0 on Node 20 (KERNEL.md section 4) and of rtnetlink itself,
 * each handled next to the code below:
 *  1. The high-level `RtNetlinkSocket` 'message' event drops the netlink message
 *     type, so NEWLINK (16) cannot be told from DELLINK (17). We listen on the
 *     `NetlinkSocket` 'message' event (raw `{type, flags, seq, data}`) and decode
 *     with `rt.parseMessage(type, data)` ourselves. Because of that we open the
 *     socket with `createNetlink(Protocol.ROUTE, …)` rather than `createRtNetlink`:
 *     the rt wrapper would decode every notification a second time, only to emit
 *     an event without the type that nobody listens to. Same socket, same options.
 *  2. `RawNetlinkSocketOptions` declares `recvBufferSize` and `sendBufferSize` as
 *     required (TS2345 without them), so both are always passed.
 *  3. With the default SO_RCVBUF (212992) a burst of 1000 veth pairs gave six
 *     ENOBUFS and lost 266 of 10014 notifications; with 4 MiB (net.core.rmem_max
 *     here) nothing was lost. The socket keeps working after ENOBUFS, but what was
 *     dropped is gone: the watcher must rescan. ENOBUFS arrives as an 'error' event
 *     on the socket; an 'error' without a listener would throw, so there always is one.
 *  4. Request errors from this package are plain `Error('Request rejected: EEXIST')`
 *     without `code`/`errno`; socket errors are ErrnoExceptions that usually have
 *     `code`. We classify by `code` and fall back to the message text.
 *  5. rtnetlink: bridge port events are RTM_NEWLINK / RTM_DELLINK with family
 *     AF_BRIDGE (7) on the same RTNLGRP_LINK group. An AF_BRIDGE DELLINK means "left
 *     the bridge" (`ip link set tap nomaster`), not "device deleted". Only AF_UNSPEC
 *     (0) messages describe devices; the others are ignored (the device's own
 *     AF_UNSPEC NEWLINK reports the master change).
 *  6. `ref: true` keeps the event loop alive while subscribed; `close()` releases
 *     the native handle, after which the process can exit.
 *  7. ENOBUFS can ABORT THE PROCESS (found by this module's tests, not in KERNEL.md).
 *     Mechanism, from reading src/binding.cc and libuv's uv__poll_io (the abort
 *     itself is reproduced; the path is our analysis):
 *     an overrun sets the socket's sk_err, so epoll may report EPOLLERR before the
 *     addon's recvmsg() sees ENOBUFS. libuv then calls the addon's PollHandler with
 *     status UV_EBADF; the addon builds `ErrnoException(env, -status, NULL, …)` and
 *     `Napi::String::New(env, NULL)` for `syscall` throws a C++ Napi::Error that
 *     nothing catches: "terminate called after throwing an instance of
 *     'Napi::Error' / what(): Error in native callback", SIGABRT. (Had it not thrown,
 *     the addon would have closed the socket.) When recvmsg() wins the race, we get
 *     the 'error' event with code ENOBUFS and the rescan path below runs. With a
 *     4 KiB buffer and 300 veths the abort happened in most runs; with 4 MiB no
 *     overrun was seen for 300 (KERNEL.md: none for 1000 pairs either). Nothing in
 *     JavaScript can catch it, and NETLINK_NO_ENOBUFS cannot be set through this
 *     package (and would hide the losses). So: keep the 4 MiB buffer, keep the
 *     message handler cheap, and rely on the agent being restartable at any moment
 *     (systemd restarts it; start() begins with a full scan).
 */
import netlink from 'netlink';
import { OPERSTATES, type LinkEventSink, type LinkEventSource, type LinkRecord, type OverflowReason } from './link-watcher-types.js';

/** Netlink message types (linux/rtnetlink.h). */
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
const AF_UNSPEC = 0;
/** RTNLGRP_LINK. */
const RTNLGRP_LINK = 1;
/** net.core.rmem_max on our hosts; the kernel caps SO_RCVBUF at rmem_max. */
export const DEFAULT_RECV_BUFFER = 4 << 20;

function macOf(b: unknown): string {
  if (!(b instanceof Uint8Array) || b.length !== 6) return '';
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

/**
 * Decodes one RTM_NEWLINK / RTM_DELLINK payload (ifinfomsg + attributes). Returns
 * undefined for messages that are not about a device (other types, AF_BRIDGE port
 * events, no ifname). Throws when the payload is malformed.
 */
export function parseLinkNotification(type: number, data: Buffer): LinkRecord | undefined {
  if (type !== RTM_NEWLINK && type !== RTM_DELLINK) return undefined;
  const msg = netlink.rt.parseMessage(type, data);
  if (msg.kind !== 'link') throw new Error(`unexpected rtnetlink message kind ${msg.kind} for type ${type}`);
  const family = msg.data.family ?? AF_UNSPEC;
  if (family !== AF_UNSPEC) return undefined;
  const index = msg.data.index;
  const name = msg.attrs.ifname;
  if (typeof index !== 'number' || index <= 0) throw new Error('link notification without ifindex');
  if (typeof name !== 'string' || name === '') return undefined;
  if (type === RTM_DELLINK) return { kind: 'del', name, index };
  const rec: LinkRecord = {
    kind: 'new',
    name,
    index,
    mac: macOf(msg.attrs.address),
    up: msg.data.flags?.up === true,
    mtu: typeof msg.attrs.mtu === 'number' ? msg.attrs.mtu : 0,
  };
  if (typeof msg.attrs.master === 'number' && msg.attrs.master > 0) rec.masterIndex = msg.attrs.master;
  const op = msg.attrs.operstate;
  if (typeof op === 'number') rec.operstate = OPERSTATES[op] ?? String(op);
  return rec;
}

/** Quirk 4: socket errors usually carry `code`, but do not count on it. */
export function classifySocketError(err: unknown): OverflowReason {
  const code = typeof err === 'object' && err !== null && 'code' in err ? (err as { code?: unknown }).code : undefined;
  if (code === 'ENOBUFS') return 'ENOBUFS';
  if (code === undefined && err instanceof Error && /ENOBUFS|no buffer space/i.test(err.message)) return 'ENOBUFS';
  return 'socket-error';
}

export interface NetlinkLinkSourceOptions {
  /** SO_RCVBUF. Default 4 MiB (quirk 3). Tests pass a tiny one to provoke ENOBUFS. */
  recvBufferSize?: number;
}

/** The raw-message view of the package's NetlinkSocket that this file relies on. */
interface RawMessage {
  type: number;
  data: Buffer;
}

/** {@link LinkEventSource} on an RTNLGRP_LINK subscription in this process's namespace. */
export class NetlinkLinkSource implements LinkEventSource {
  private readonly recvBufferSize: number;
  private sock: ReturnType<typeof netlink.createNetlink> | undefined;
  private closed = false;

  constructor(opts: NetlinkLinkSourceOptions = {}) {
    this.recvBufferSize = opts.recvBufferSize ?? DEFAULT_RECV_BUFFER;
  }

  open(sink: LinkEventSink): void {
    if (this.sock !== undefined || this.closed) throw new Error('NetlinkLinkSource can be opened once');
    // Quirks 1, 2, 6.
    const sock = netlink.createNetlink(netlink.Protocol.ROUTE, { ref: true, recvBufferSize: this.recvBufferSize, sendBufferSize: 65536 });
    this.sock = sock;
    sock.on('message', (msgs: RawMessage[]) => {
      if (this.closed) return;
      for (const m of msgs) {
        if (m.type !== RTM_NEWLINK && m.type !== RTM_DELLINK) continue;
        let rec: LinkRecord | undefined;
        try {
          rec = parseLinkNotification(m.type, m.data);
        } catch (err) {
          sink.overflow('parse-error', err);
          continue;
        }
        if (rec !== undefined) sink.link(rec);
      }
    });
    // Quirk 3: ENOBUFS (and any other receive error) means lost notifications.
    sock.on('error', (err: unknown) => {
      if (!this.closed) sink.overflow(classifySocketError(err), err);
    });
    // The framing layer could not split the datagram, or a multipart reply was cut.
    sock.on('invalid', (err: unknown) => {
      if (!this.closed) sink.overflow('invalid', err);
    });
    sock.on('truncatedMessage', () => {
      if (!this.closed) sink.overflow('truncated');
    });
    try {
      sock.addMembership(RTNLGRP_LINK);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const sock = this.sock;
    this.sock = undefined;
    if (sock === undefined) return;
    try {
      sock.close();
    } catch {
      /* already closed by the addon */
    }
  }
}
