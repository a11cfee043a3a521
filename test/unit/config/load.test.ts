import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineSchema, findDefaultConfigFiles, findDefaultConfigDirs, loadAgentConfig, strOpt } from '../../../shared/config/index.js';
import { withTemp } from './tmp.js';

test("oslo's default files: <project>.conf and <prog>.conf from the first of ~/.project, ~, /etc/project, /etc", () =>
  withTemp((t) => {
    const home = process.env.HOME;
    process.env.HOME = t.dir;
    try {
      const a = t.write('.neutron/neutron.conf', '[DEFAULT]\nname = home-dot\n');
      t.write('neutron.conf', '[DEFAULT]\nname = home\n');
      const b = t.write('neutron-x-agent.conf', '[DEFAULT]\nname = prog\n');
      t.write('.neutron/neutron-x-agent.conf.d/10.conf', '[DEFAULT]\nname = dir\n');
      const d = { project: 'neutron', prog: 'neutron-x-agent' };
      assert.deepEqual(findDefaultConfigFiles(d), [a, b]);
      assert.deepEqual(findDefaultConfigDirs(d).at(-1), `${t.dir}/.neutron/neutron-x-agent.conf.d`);
      const S = defineSchema({ DEFAULT: { name: strOpt() } });
      assert.equal(loadAgentConfig([], S, undefined, { defaults: d }).config.DEFAULT.name, 'dir');
      // an explicit --config-file replaces the default files (the default dirs stay)
      const c = t.write('c.conf', '[DEFAULT]\nname = explicit\n');
      const r = loadAgentConfig(['--config-file', c], S, undefined, { defaults: d });
      assert.ok(!r.files.includes(a) && r.files.includes(c));
      // no defaults option: nothing is searched
      assert.deepEqual(loadAgentConfig([], S).files, []);
    } finally {
      if (home === undefined) delete process.env.HOME;
      else process.env.HOME = home;
    }
  }));
