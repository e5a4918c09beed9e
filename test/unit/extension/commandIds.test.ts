import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMAND_IDS } from '../../../src/extension/commandIds';

/** Activation registers exactly COMMAND_IDS; a command package.json contributes but the list lacks would not exist. */
describe('extension command ids', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { contributes: { commands: { command: string }[] } };

  it('lists every command package.json contributes, and nothing else', () => {
    assert.deepEqual([...COMMAND_IDS].sort(), manifest.contributes.commands.map((c) => c.command).sort());
  });

  it('has no duplicates', () => {
    assert.equal(new Set(COMMAND_IDS).size, COMMAND_IDS.length);
  });
});
