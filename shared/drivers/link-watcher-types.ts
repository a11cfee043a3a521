/**
 * Plain data shared by the link watcher and its two ports (notification source,
 * full scanner). No I/O here.
 */

/** One network device as the watcher reports it. */
export interface LinkInfo {
  name: string;
  /** ifindex. A device deleted and recreated under the same name gets a new one. */
  index: number;
  /** Lower-case colon-separated 6-byte address; '' for links without an Ethernet-style address. */
  mac: string;
  /** IFF_UP (administratively up), not the carrier. */
  up: boolean;
  /** The master's name when known, else its ifindex; absent when the link has no master. */
  master?: string | number;
  mtu: number;
  /** RFC 2863 state as `ip` prints it: UP, DOWN, LOWERLAYERDOWN, UNKNOWN, ... Not part of "changed". */
  operstate?: string;
}

/**
 * One RTM_NEWLINK / RTM_DELLINK notification for a device (AF_UNSPEC), decoded.
 * The master is an ifindex here; the watcher resolves it to a name.
 */
export type LinkRecord =
  | {
      kind: 'new';
      name: string;
      index: number;
      mac: string;
      up: boolean;
      masterIndex?: number;
      mtu: number;
      operstate?: string;
    }
  | { kind: 'del'; name: string; index: number };

/** Why notifications can no longer be trusted and a full rescan is due. */
export type OverflowReason = 'ENOBUFS' | 'socket-error' | 'parse-error' | 'truncated' | 'invalid';

export interface LinkEventSink {
  link(rec: LinkRecord): void;
  /** Some notifications were (or may have been) lost. `err` is for the log only. */
  overflow(reason: OverflowReason, err?: unknown): void;
}

/**
 * Port: a subscription to link notifications in the process's own network namespace.
 * Contract: after `open` returns, every later kernel change reaches `sink.link` in
 * kernel order, or `sink.overflow` is called; `close` releases every handle
 * (nothing keeps the event loop alive afterwards) and no callback follows it.
 */
export interface LinkEventSource {
  open(sink: LinkEventSink): void;
  close(): void;
}

/**
 * Port: every link of the namespace right now (not only the prefixed ones: masters
 * are resolved by name from the same dump). Rejects when the dump failed.
 */
export interface LinkScanner {
  scan(): Promise<LinkInfo[]>;
}

/** IF_OPER_* values of IFLA_OPERSTATE, spelled as `ip -json` spells them. */
export const OPERSTATES: readonly string[] = ['UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP'];
