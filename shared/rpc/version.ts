/**
 * oslo_messaging._utils.version_is_compatible: same major, requested minor <=
 * implemented minor, and on equal minor requested revision <= implemented one.
 * Python's int() raising on a malformed part becomes InvalidVersionError here;
 * the dispatcher turns it into the ValueError failure a Python server would send.
 */
export class InvalidVersionError extends Error {
  constructor(readonly version: unknown) {
    super(`invalid literal for int() with base 10: ${JSON.stringify(String(version))}`);
    this.name = 'InvalidVersionError';
  }
}

export type VersionTuple = readonly [major: number, minor: number, rev: number];

export function parseVersion(v: unknown): VersionTuple {
  if (typeof v !== 'string') throw new InvalidVersionError(v);
  const parts = v.split('.');
  if (parts.length < 2) throw new InvalidVersionError(v);
  const num = (p: string | undefined): number => {
    if (p === undefined) return 0;
    const t = p.trim();
    if (!/^[+-]?\d+$/.test(t)) throw new InvalidVersionError(v);
    return Number.parseInt(t, 10);
  };
  return [num(parts[0]), num(parts[1]), num(parts[2])];
}

/** @param implemented the endpoint's version; @param requested the message's version. */
export function versionIsCompatible(implemented: string, requested: string): boolean {
  const [iMaj, iMin, iRev] = parseVersion(implemented);
  const [rMaj, rMin, rRev] = parseVersion(requested);
  if (rMaj !== iMaj) return false;
  if (rMin > iMin) return false;
  if (rMin === iMin && rRev > iRev) return false;
  return true;
}
