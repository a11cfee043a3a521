/**
 * Lets the agent tell, from the kernel alone, that its nft bridge table already is what
 * it would write, so a steady apply (and an agent restart) re-creates no rule: the table
 * carries a comment with a hash of the script that made it, and the kernel's listing
 * must still hold as many rules in the same chains (a rule added or deleted by hand
 * changes that and the table is rewritten).
 */
import { createHash } from 'node:crypto';

const COMMENT_PREFIX = 'nucleon sha256:';

/** Adds the fingerprint comment to the table body of a delete-and-recreate script. */
export function withFingerprint(script: string, table: string): { script: string; fingerprint: string } {
  const fingerprint = createHash('sha256').update(script).digest('hex').slice(0, 32);
  const opening = `table bridge ${table} {\n`;
  const body = script.lastIndexOf(opening);
  // Only the recreate part gets it (the first `table … {}` merely makes the delete safe).
  if (body <= 0) return { script, fingerprint };
  const at = body + opening.length;
  return { script: `${script.slice(0, at)}  comment "${COMMENT_PREFIX}${fingerprint}"\n${script.slice(at)}`, fingerprint };
}

/** Chain name → rule count, from an `nft -f` script or an `nft list table` listing. */
export function ruleShape(text: string): string {
  const counts: string[] = [];
  let chain: string | undefined;
  let n = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const m = /^chain (\S+) \{$/.exec(line);
    if (m) { chain = m[1]; n = 0; continue; }
    if (chain === undefined) continue;
    if (line === '}') { counts.push(`${chain}=${n}`); chain = undefined; continue; }
    if (line === '' || line.startsWith('type ') || line.startsWith('comment ')) continue;
    n++;
  }
  return counts.sort().join(',');
}

/** True when the listed table was made by this script and still has its rules. */
export function listingMatches(listing: string, script: string, fingerprint: string): boolean {
  if (!listing.includes(`comment "${COMMENT_PREFIX}${fingerprint}"`)) return false;
  return ruleShape(listing) === ruleShape(script.slice(script.lastIndexOf('{\n}\n') + 4));
}
