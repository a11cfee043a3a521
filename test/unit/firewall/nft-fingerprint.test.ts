import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listingMatches, ruleShape, withFingerprint } from '../../../shared/firewall/nft-fingerprint.js';

const SCRIPT = 'table bridge t {\n}\ndelete table bridge t\ntable bridge t {\n  chain prerouting {\n    type filter hook prerouting priority -200; policy accept;\n    iifname vmap { "tap1" : jump p1 }\n  }\n  chain p1 {\n    ether saddr != 00:11:22:33:44:55 drop\n    return\n  }\n}\n';

test('the fingerprint comment goes into the recreated table only', () => {
  const { script, fingerprint } = withFingerprint(SCRIPT, 't');
  assert.match(script, new RegExp(`delete table bridge t\\ntable bridge t \\{\\n  comment "nucleon sha256:${fingerprint}"\\n`));
  assert.equal(script.split('comment').length, 2);
});

test('a listing of the same table matches; a rule added or removed by hand does not', () => {
  const { script, fingerprint } = withFingerprint(SCRIPT, 't');
  const listing = `table bridge t {\n\tcomment "nucleon sha256:${fingerprint}"\n\tchain prerouting {\n\t\ttype filter hook prerouting priority -200; policy accept;\n\t\tiifname vmap { "tap1" : jump p1 }\n\t}\n\n\tchain p1 {\n\t\tether saddr != 00:11:22:33:44:55 drop\n\t\treturn\n\t}\n}\n`;
  assert.equal(listingMatches(listing, script, fingerprint), true);
  assert.equal(listingMatches(listing.replace('\t\treturn\n', ''), script, fingerprint), false);
  assert.equal(listingMatches(listing.replace('\t\treturn\n', '\t\treturn\n\t\taccept\n'), script, fingerprint), false);
  assert.equal(listingMatches(listing.replace(fingerprint, '0'.repeat(32)), script, fingerprint), false);
  assert.equal(ruleShape(script), 'p1=2,prerouting=1');
});
