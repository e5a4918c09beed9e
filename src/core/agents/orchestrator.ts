import type { RunState } from '../runs/runState';
import { AgentRunner, errorMessage, type StartRunOptions } from './agentRunner';
import { CascadeGuard } from './cascadeGuard';
import type { AgentOutcome, TaskResult } from './outcomes';
import type { AgentRuntime } from './runtime';
import { TaskRunner } from './taskRunner';

export { UnknownTaskError, type AgentOutcome, type TaskResult } from './outcomes';

/** Ask one, ask all in parallel, run a task's steps in order, delegate (in the tool step). */
export class Orchestrator {
  readonly runner: AgentRunner;
  /** Durable tasks: start, resume after a pause or a crash, read back. */
  readonly tasks: TaskRunner;

  constructor(
    private readonly rt: AgentRuntime,
    readonly guard: CascadeGuard = new CascadeGuard(),
  ) {
    this.runner = new AgentRunner(rt);
    this.tasks = new TaskRunner(rt, this.runner, guard);
  }

  ask(options: StartRunOptions, signal: AbortSignal): Promise<RunState> {
    return this.runner.start(options, signal);
  }

  /** Every agent on the same prompt at once; one agent failing (or throwing) never affects another. */
  async askAll(prompt: string, signal: AbortSignal, agents: readonly string[] = Object.keys(this.rt.config().agents)): Promise<Map<string, AgentOutcome>> {
    const settled = await Promise.allSettled(agents.map((agent) => this.runner.start({ agent, prompt }, signal)));
    const out = new Map<string, AgentOutcome>();
    settled.forEach((r, i) => {
      const agent = agents[i];
      if (agent === undefined) return;
      out.set(agent, r.status === 'fulfilled' ? { kind: 'run', state: r.value } : { kind: 'error', agent, error: errorMessage(r.reason) });
    });
    return out;
  }

  /**
   * A configured task as a durable run of its own: steps in order, each given the earlier outputs as
   * context (`run_with_context`); a failed step reaches later ones as CascadeGuard's marker; a step
   * waiting on a human pauses the task, and `tasks.resume` continues it without re-running a finished step.
   */
  runTask(name: string, extraPrompt: string | undefined, signal: AbortSignal): Promise<TaskResult> {
    return this.tasks.start(name, extraPrompt, signal);
  }
}
