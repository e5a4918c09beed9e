import type { RunState } from '../runs/runState';
import { AgentRunner, errorMessage, type StartRunOptions } from './agentRunner';
import { CascadeGuard } from './cascadeGuard';
import type { AgentRuntime } from './runtime';

/** One agent's result in `askAll`: its run, or why it could not even start. Failures stay per agent. */
export type AgentOutcome = { readonly kind: 'run'; readonly state: RunState } | { readonly kind: 'error'; readonly agent: string; readonly error: string };

export interface TaskResult {
  readonly task: string;
  readonly status: 'completed' | 'failed' | 'waiting_on_human' | 'cancelled';
  readonly steps: readonly AgentOutcome[];
}

/** Ask one, ask all in parallel, run a task's steps in order (seed 001), delegate (in the tool step). */
export class Orchestrator {
  readonly runner: AgentRunner;

  constructor(
    private readonly rt: AgentRuntime,
    readonly guard: CascadeGuard = new CascadeGuard(),
  ) {
    this.runner = new AgentRunner(rt);
  }

  ask(options: StartRunOptions, signal: AbortSignal): Promise<RunState> {
    return this.runner.start(options, signal);
  }

  /** Every agent on the same prompt at once; one agent failing (or throwing) never affects another. */
  async askAll(prompt: string, signal: AbortSignal, agents: readonly string[] = Object.keys(this.rt.config().agents)): Promise<Map<string, AgentOutcome>> {
    const settled = await Promise.allSettled(agents.map((agent) => this.runner.start({ agent, prompt }, signal)));
    const out = new Map<string, AgentOutcome>();
    settled.forEach((r, i) => {
      out.set(agents[i], r.status === 'fulfilled' ? { kind: 'run', state: r.value } : { kind: 'error', agent: agents[i], error: errorMessage(r.reason) });
    });
    return out;
  }

  /**
   * A configured task: steps in order, each given the earlier outputs as context (`run_with_context`).
   * A failed step is quarantined by the CascadeGuard and later steps see an explicit marker; a step
   * waiting on a human stops the task there (resume that run, then run the task again).
   */
  async runTask(name: string, extraPrompt: string | undefined, signal: AbortSignal): Promise<TaskResult> {
    const task = this.rt.config().tasks[name];
    if (!task) throw new UnknownTaskError(name, Object.keys(this.rt.config().tasks));
    const steps: AgentOutcome[] = [];
    const earlier: { agent: string; text: string }[] = [];
    let status: TaskResult['status'] = 'completed';
    for (const step of task.steps) {
      const context = earlier.length === 0 ? undefined : earlier.map((e) => `## Output from ${e.agent}\n\n${this.guard.view(e.agent, e.text)}`).join('\n\n');
      const prompt = extraPrompt ? `${step.prompt}\n\n${extraPrompt}` : step.prompt;
      let outcome: AgentOutcome;
      try {
        outcome = { kind: 'run', state: await this.runner.start({ agent: step.agent, prompt, ...(context ? { context } : {}), task: name }, signal) };
      } catch (e) {
        outcome = { kind: 'error', agent: step.agent, error: errorMessage(e) };
      }
      steps.push(outcome);
      if (outcome.kind === 'run' && outcome.state.status === 'completed') {
        this.guard.release(step.agent);
        earlier.push({ agent: step.agent, text: outcome.state.output });
        continue;
      }
      if (outcome.kind === 'run' && (outcome.state.status === 'waiting_on_human' || outcome.state.status === 'cancelled')) {
        status = outcome.state.status;
        break;
      }
      const reason = outcome.kind === 'error' ? outcome.error : (outcome.state.error ?? outcome.state.status);
      this.guard.quarantine(step.agent, reason);
      // Its partial output is never passed on: the guard turns it into the marker.
      earlier.push({ agent: step.agent, text: '' });
      status = 'failed';
    }
    return { task: name, status, steps };
  }
}

export class UnknownTaskError extends Error {
  constructor(
    readonly task: string,
    readonly known: readonly string[],
  ) {
    super(`no task named "${task}"; configured tasks: ${known.join(', ') || '(none)'} — add it under \`tasks\` in the agents file`);
    this.name = 'UnknownTaskError';
  }
}
