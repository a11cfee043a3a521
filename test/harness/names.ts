// Per-run names for everything a test creates (agent hosts, devices, namespaces, neutron
// resources), so concurrent or leftover runs never collide and leftovers are recognisable.
//
// The prefix is "nt" + 4 hex digits, chosen once per test process (NUCLEON_TEST_RUN_PREFIX
// overrides it, e.g. to reproduce a run). Linux device names are limited to 15 bytes.
import { randomBytes } from 'node:crypto';

/** Matches every name made by runPrefix() (for sweeping leftovers of earlier runs). */
export const RUN_PREFIX_PATTERN = /^nt[0-9a-f]{4}/;
/** IFNAMSIZ - 1: the longest Linux network device name. */
export const MAX_DEVICE_NAME = 15;

let prefix: string | undefined;

/** Short prefix for this test process, e.g. "nt3fa2". */
export function runPrefix(): string {
  if (prefix === undefined) {
    const fromEnv = process.env.NUCLEON_TEST_RUN_PREFIX;
    if (fromEnv !== undefined && fromEnv !== '') {
      if (!RUN_PREFIX_PATTERN.test(fromEnv) || fromEnv.length !== 6) {
        throw new Error(`NUCLEON_TEST_RUN_PREFIX must look like nt + 4 hex digits, got ${fromEnv}`);
      }
      prefix = fromEnv;
    } else {
      prefix = `nt${randomBytes(2).toString('hex')}`;
    }
  }
  return prefix;
}

/** `<prefix>-<suffix>`: for hosts, neutron resource names, namespaces. */
export function testName(suffix: string): string {
  return `${runPrefix()}-${suffix}`;
}

/** `<prefix><suffix>` checked against the kernel's 15-byte limit (no dash, to save room). */
export function deviceName(suffix: string): string {
  const name = `${runPrefix()}${suffix}`;
  if (Buffer.byteLength(name) > MAX_DEVICE_NAME) {
    throw new Error(`device name ${name} is longer than ${MAX_DEVICE_NAME} bytes`);
  }
  return name;
}
