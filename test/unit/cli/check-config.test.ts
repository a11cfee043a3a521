import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConfig } from '../../../cli/check-config.js';
import { ConfigDir } from '../../harness/daemons.js';

const conf = new ConfigDir();
after(() => conf.remove());

test('check-config prints the resolved options with secrets masked', () => {
  const f = conf.write('m.conf', { DEFAULT: { host: 'h1', transport_url: 'rabbit://u:pw@127.0.0.1:5672/', metadata_proxy_shared_secret: 'topsecret' } });
  const out: string[] = [];
  assert.equal(checkConfig('metadata', ['--config-file', f], (s) => out.push(s), () => undefined), 0);
  const text = out.join('\n');
  assert.ok(!text.includes('topsecret') && !text.includes(':pw@'), 'no secret in the output');
  const parsed = JSON.parse(text) as { config: { DEFAULT: Record<string, unknown>; agent: Record<string, unknown> } };
  assert.equal(parsed.config.DEFAULT['host'], 'h1');
  assert.equal(parsed.config.agent['report_interval'], 30);
});

test('check-config returns 78 with the daemon\'s error for a bad value', () => {
  const f = conf.write('bad.conf', { DEFAULT: { nova_metadata_port: 'http' } });
  const err: string[] = [];
  assert.equal(checkConfig('metadata', ['--config-file', f], () => undefined, (s) => err.push(s)), 78);
  assert.match(err.join(''), /\[DEFAULT\] nova_metadata_port = "http"/);
});
