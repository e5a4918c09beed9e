import type { RunPhase } from '../runs/runPhase';
import type { RunState } from '../runs/runState';

/** One agent's result in `askAll` or one step of a task: its run, or why it could not even start. Failures stay per agent. */
export type AgentOutcome = { readonly kind: 'run'; readonly state: RunState } | { readonly kind: 'error'; readonly agent: string; readonly error: string };

/**
 * A task run as its log says: the steps that have started, in order, each with its run, and the
 * task's phase (the same union as a run's: `interrupted` when cancelled, crashed or stopped by a
 * step's transient failure — a resume continues it).
 */
export type TaskResult = {
  readonly task: string;
  /** The task's own durable run (`--resume`, `--approve`, `--deny` take it, as they take a step's run id). */
  readonly taskRunId: string;
  readonly steps: readonly AgentOutcome[];
} & RunPhase;

export class UnknownTaskError extends Error {
  constructor(
    readonly task: string,
    readonly known: readonly string[],
  ) {
    super(`no task named "${task}"; configured tasks: ${known.join(', ') || '(none)'} — add it under \`tasks\` in the agents file`);
    this.name = 'UnknownTaskError';
  }
}
