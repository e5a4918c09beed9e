import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseRunEvent } from '../../../src/core/runs/events';
import { replayRunLog, replayText, RunLogWriter } from '../../../src/core/runs/runLog';
import { RunStore } from '../../../src/core/runs/runStore';
import { foldTask, isTaskTerminal, nextStep } from '../../../src/core/runs/taskFold';
import { StoreLayout } from '../../../src/core/store/storeLayout';
import { must } from '../../fixtures/must';

const TASK_RUN = 'r-20250101-000000-abcdef';

/** A task run paused at its second step, after its first finished. */
async function writeTaskRun(file: string): Promise<void> {
  let t = 1_700_000_000_000;
  const w = RunLogWriter.open(file, TASK_RUN, { clock: () => t++ });
  w.append('task_started', { task_run_id: TASK_RUN, task: 'ship', prompt: 'extra ✓', steps: [{ agent: 'a', prompt: 'one' }, { agent: 'b', prompt: 'two' }, { agent: 'c', prompt: 'three' }], config_hash: 'h' });
  w.append('task_step_started', { index: 0, run_id: `${TASK_RUN}.step1`, agent: 'a' });
  w.append('task_step_finished', { index: 0, run_id: `${TASK_RUN}.step1`, agent: 'a', status: 'completed', output: 'A-OUT' });
  w.append('task_step_started', { index: 1, run_id: `${TASK_RUN}.step2`, agent: 'b' });
  w.append('task_paused', { index: 1, run_id: `${TASK_RUN}.step2`, reason: 'write a.txt' });
  await w.close();
}

describe('task run log', () => {
  const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bw-task-'));

  it('folds to the steps, the pause and the prompts, purely', async () => {
    const file = path.join(dir(), `${TASK_RUN}.jsonl`);
    await writeTaskRun(file);
    const { events } = replayRunLog(file);
    const frozen = JSON.stringify(events);
    const s = foldTask(events);
    assert.deepEqual(foldTask(events), s, 'same events, equal state');
    assert.equal(JSON.stringify(events), frozen, 'the input is not mutated');
    assert.equal(s.status, 'waiting_on_human');
    assert.deepEqual(s.pausedAt, { index: 1, runId: `${TASK_RUN}.step2`, reason: 'write a.txt' });
    assert.deepEqual(s.steps.map((x) => x.status), ['completed', 'running', 'pending']);
    assert.equal(must(s.steps[2], 's.steps[2]').prompt, 'three\n\nextra ✓');
    assert.equal(nextStep(s)?.index, 1);
    assert.equal(isTaskTerminal(s), false);
  });

  it('a task event is validated: a step without an index is refused', () => {
    const r = parseRunEvent({ seq: 1, time: 1, type: 'task_step_started', payload: { run_id: 'x', agent: 'a' } });
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.error, /payload\.index/);
  });

  it('a log torn at every byte of its last event replays to the state before it', async () => {
    const file = path.join(dir(), `${TASK_RUN}.jsonl`);
    await writeTaskRun(file);
    const buf = fs.readFileSync(file);
    const lastStart = buf.lastIndexOf(10, buf.length - 2) + 1;
    const before = foldTask(replayText(file, buf.subarray(0, lastStart)).events);
    for (let cut = lastStart; cut < buf.length; cut++) {
      const r = replayText(file, buf.subarray(0, cut));
      assert.deepEqual(foldTask(r.events), before, `cut at byte ${cut}`);
      if (cut > lastStart) assert.equal(r.tornTail?.line, 5);
    }
  });

  it('the store lists a task run as task:<name> and refuses to fold it as an agent run', async () => {
    const root = dir();
    await writeTaskRun(new StoreLayout(root).runLog(TASK_RUN));
    const store = new RunStore(new StoreLayout(root));
    const rows = store.list();
    const row = must(rows[0], 'listed run #1');
    assert.deepEqual([row.runId, row.agent, row.status, row.kind], [TASK_RUN, 'task:ship', 'waiting_on_human', 'task']);
    assert.equal(store.isTaskRun(TASK_RUN), true);
    assert.throws(() => store.state(TASK_RUN), /is a task run/);
    assert.equal(store.taskState(TASK_RUN).task, 'ship');
  });
});
