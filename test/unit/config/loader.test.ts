import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isConfigError, type ConfigError } from '../../../src/core/config/configError';
import { ConfigWatcher, type ConfigReload } from '../../../src/core/config/configWatcher';
import { agentsJsonSchema } from '../../../src/core/config/jsonSchema';
import { loadConfig, parseConfigText } from '../../../src/core/config/loader';
import { TEMPLATE_NAMES, TEMPLATES } from '../../../src/core/config/templates';
import { must } from '../../fixtures/must';

function expectConfigError(text: string): ConfigError {
  try {
    parseConfigText(text, 'agents.yaml');
  } catch (e) {
    assert.ok(isConfigError(e), String(e));
    return e;
  }
  assert.fail('expected a ConfigError');
}

describe('config loader', () => {
  it('names the key path and line of an invalid tool', () => {
    const text = ['agents:', '  x:', '    role: hi', '    tools:', '      - read', '      - write', '      - teleport', ''].join('\n');
    const err = expectConfigError(text);
    assert.equal(err.issues.length, 1);
    assert.equal(must(err.issues[0], 'err.issues[0]').path, 'agents.x.tools[2]');
    assert.equal(must(err.issues[0], 'err.issues[0]').line, 7);
    assert.match(err.message, /agents\.x\.tools\[2\] \(line 7\)/);
  });

  it('reports unknown keys on their own line with a suggestion', () => {
    const err = expectConfigError(['settings:', '  timeout: 5', '  timout: 5', 'agents:', '  a: {}', ''].join('\n'));
    assert.equal(must(err.issues[0], 'err.issues[0]').path, 'settings.timout');
    assert.equal(must(err.issues[0], 'err.issues[0]').line, 3);
    assert.match(must(err.issues[0], 'err.issues[0]').message, /did you mean "timeout"/);
  });

  it('points a missing required key at its parent and a bad reference at its value', () => {
    const err = expectConfigError(['agents:', '  a: {}', 'tasks:', '  t:', '    steps:', '      - agent: ghost', '        prompt: go', ''].join('\n'));
    const issue = err.issues.find((i) => i.path === 'tasks.t.steps[0].agent');
    assert.ok(issue, JSON.stringify(err.issues));
    assert.equal(issue.line, 6);
  });

  it('reports YAML syntax errors with a line', () => {
    const err = expectConfigError('agents:\n  a: {\n  b: [\n');
    assert.ok(err.issues[0]?.line !== undefined && err.issues[0].line >= 2, JSON.stringify(err.issues));
    assert.match(must(err.issues[0], 'err.issues[0]').message, /YAML syntax/);
  });

  it('uses the built-in default when the file is missing', async () => {
    const loaded = await loadConfig(path.join(os.tmpdir(), 'breakwater-no-such-dir', 'agents.yaml'));
    assert.equal(loaded.source.kind, 'default');
    assert.deepEqual(Object.keys(loaded.config.agents), ['assistant']);
    assert.match(loaded.hash, /^[0-9a-f]{16}$/);
  });

  it('gives a file without agents the default assistant', () => {
    const cfg = parseConfigText('settings:\n  default_provider: openai\n');
    assert.deepEqual(Object.keys(cfg.agents), ['assistant']);
    assert.equal(cfg.settings.default_provider, 'openai');
  });

  for (const name of TEMPLATE_NAMES) {
    it(`template ${name} is valid`, () => {
      const cfg = parseConfigText(TEMPLATES[name], `${name}.yaml`);
      assert.ok(Object.keys(cfg.agents).length >= 1);
    });
  }

  it('templates keep the example agents with our provider names', () => {
    const team = parseConfigText(TEMPLATES.dev_team);
    assert.deepEqual(Object.keys(team.agents), ['architect', 'developer', 'reviewer', 'tester']);
    assert.equal(team.agents.reviewer?.provider, 'openai');
    assert.equal(parseConfigText(TEMPLATES.local_ollama).agents.coder?.provider, 'ollama');
    assert.deepEqual(parseConfigText(TEMPLATES.devops).agents.deployer?.servers, ['production', 'staging']);
  });

  it('the shipped JSON Schema is generated from the zod schema', () => {
    const shipped = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../schemas/agents.schema.json'), 'utf8')) as unknown;
    assert.deepEqual(shipped, agentsJsonSchema());
  });

  it('the watcher reloads a changed file and reports a broken one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-cfg-'));
    const file = path.join(dir, 'agents.yaml');
    fs.writeFileSync(file, 'agents:\n  a: {}\n');
    const watcher = new ConfigWatcher(file, { debounceMs: 10 });
    const next = () => new Promise<ConfigReload>((resolve) => {
      const sub = watcher.onDidReload((r) => {
        sub.dispose();
        resolve(r);
      });
    });
    try {
      let reload = next();
      fs.writeFileSync(file, 'agents:\n  b: {}\n');
      let r = await reload;
      assert.ok(r.ok);
      assert.deepEqual(Object.keys(r.loaded.config.agents), ['b']);
      reload = next();
      fs.writeFileSync(file, 'agents:\n  b: { tools: [nope] }\n');
      r = await reload;
      assert.equal(r.ok, false);
    } finally {
      watcher.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
