/**
 * A port range as OpenFlow value/mask matches (Neutron's utils.port_rule_masking):
 * the range is cut into the largest aligned power-of-two blocks, each one match.
 * Text as Neutron writes it: `0x0050` for one port, `0x0040/0xffe0` for a block.
 * Ordered by port (Neutron lists the same blocks in another order).
 */

const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

export class PortRangeError extends Error {
  override readonly name = 'PortRangeError';
}

export function portRangeMasks(min: number, max: number): string[] {
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max > 0xffff) throw new PortRangeError(`port range ${min}-${max} outside 0-65535`);
  if (max < min) throw new PortRangeError(`port range ${min}-${max}: max is smaller than min`);
  const out: string[] = [];
  let lo = min;
  while (lo <= max) {
    let size = 1;
    // Double the block while it stays aligned on `lo` and inside the range.
    while (size < 0x10000 && (lo & (size * 2 - 1)) === 0 && lo + size * 2 - 1 <= max) size *= 2;
    out.push(size === 1 ? hex4(lo) : `${hex4(lo)}/${hex4(0xffff & ~(size - 1))}`);
    lo += size;
  }
  return out;
}
