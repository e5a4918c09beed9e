import { z } from 'zod';
import { preconditionSchema, storedCallSchema } from '../tools/preparedCall';
import { FAILURE_KINDS } from './failureKinds';

/**
 * Every event a run log holds. One JSON object per line: `{ seq, time, type, payload }`. Validated when
 * written and when replayed, so a log from another version or a hand edit is caught with its line.
 * Everything a resume needs is in here: no run state lives anywhere else.
 */

const usage = z.strictObject({
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  cache_read_tokens: z.number().int().nonnegative(),
  cache_creation_tokens: z.number().int().nonnegative(),
});
export type UsageJson = z.infer<typeof usage>;

const toolCallJson = z.strictObject({ id: z.string().min(1), name: z.string().min(1), args: z.unknown(), invalid: z.string().optional() });

/**
 * A `PreparedCall` as stored (without `previousContent`, which goes to the run's backups folder): the
 * tool engine's own schema (tools/preparedCall.ts), so what a resume reads back is what the engine
 * takes. It reads logs written before approvals were data as well.
 */
export const storedPreparedSchema = storedCallSchema;

const taskStep = z.strictObject({ agent: z.string().min(1), prompt: z.string() });

export const APPROVERS = ['user', 'policy', 'yes_flag', 'grant'] as const;

const payloads = {
  run_started: z.strictObject({
    run_id: z.string(),
    agent: z.string(),
    prompt: z.string(),
    config_hash: z.string(),
    /** Earlier outputs given as context (tasks, `run_with_context`). */
    context: z.string().optional(),
    parent_run_id: z.string().optional(),
    depth: z.number().int().nonnegative().default(0),
    /** Agents already on the delegate chain above this run (cycle detection). */
    chain: z.array(z.string()).default([]),
    task: z.string().optional(),
    /** The task run this run is a step of (absent for a plain run and for a delegate's child). */
    task_run_id: z.string().optional(),
  }),
  llm_call_started: z.strictObject({ turn: z.number().int().nonnegative(), provider: z.string(), model: z.string() }),
  llm_call_completed: z.strictObject({
    turn: z.number().int().nonnegative(),
    provider: z.string(),
    model: z.string(),
    usage,
    cost_usd: z.number().nonnegative(),
    attempts: z.number().int().positive(),
    stop_reason: z.string(),
  }),
  llm_call_failed: z.strictObject({
    turn: z.number().int().nonnegative(),
    kind: z.enum(FAILURE_KINDS),
    message: z.string(),
    cause: z.string().optional(),
  }),
  assistant_message: z.strictObject({ turn: z.number().int().nonnegative(), text: z.string(), tool_calls: z.array(toolCallJson) }),
  tool_call_requested: z.strictObject({ call_id: z.string(), tool: z.string(), args: z.unknown() }),
  tool_call_decided: z.strictObject({ call_id: z.string(), prepared: storedPreparedSchema }),
  approval_requested: z.strictObject({
    call_id: z.string(),
    tool: z.string(),
    summary: z.string(),
    kind: z.enum(['ask', 'ask_every_time']),
    reason: z.string(),
    /** Asked again after a crash: the call started and may already have run. */
    may_have_run: z.boolean().default(false),
  }),
  approval_granted: z.strictObject({ call_id: z.string(), by: z.enum(APPROVERS), grant_key: z.string().optional(), always: z.boolean().optional() }),
  approval_denied: z.strictObject({ call_id: z.string(), by: z.enum(APPROVERS), reason: z.string().optional() }),
  tool_call_started: z.strictObject({ call_id: z.string(), idempotency_key: z.string(), precondition: preconditionSchema.optional(), child_run_id: z.string().optional() }),
  tool_call_completed: z.strictObject({
    call_id: z.string(),
    output: z.string(),
    truncated: z.boolean().default(false),
    /** Resolved after a crash (the file already had the result). */
    recovered: z.boolean().optional(),
    /** A delegate's child run cost, counted in this run's cost. */
    cost_usd: z.number().nonnegative().optional(),
  }),
  tool_call_failed: z.strictObject({ call_id: z.string(), status: z.enum(['error', 'blocked']), error: z.string() }),
  tool_call_skipped: z.strictObject({ call_id: z.string(), reason: z.string() }),
  breaker_transition: z.strictObject({ scope: z.enum(['provider', 'tool']), name: z.string(), from: z.string(), to: z.string(), reason: z.string().optional() }),
  fallback_used: z.strictObject({ strategy: z.string(), detail: z.string() }),
  budget_warning: z.strictObject({ scope: z.enum(['workspace', 'agent']), spent_usd: z.number(), budget_usd: z.number() }),
  run_paused: z.strictObject({ reason: z.string(), pending: z.array(z.string()) }),
  run_resumed: z.strictObject({ pid: z.number().int().optional() }),
  run_completed: z.strictObject({ output: z.string() }),
  /** A failure whose `kind` is resumable (runPhase.ts) leaves the run interrupted, not failed. */
  run_failed: z.strictObject({ error: z.string(), kind: z.enum(FAILURE_KINDS).optional(), cause: z.string().optional() }),
  run_cancelled: z.strictObject({ reason: z.string() }),

  // A task run's own log holds only these (it begins with task_started); `foldTask` reads it.
  task_started: z.strictObject({
    task_run_id: z.string(),
    task: z.string(),
    /** The extra prompt given with `--task NAME --prompt TEXT`, appended to every step's prompt. */
    prompt: z.string().optional(),
    /** The steps as configured when the task started: a later config edit never changes a task mid-way. */
    steps: z.array(taskStep).min(1),
    config_hash: z.string(),
  }),
  /** Recorded before the step's run is started, so a crash in between resumes that same run id. */
  task_step_started: z.strictObject({ index: z.number().int().nonnegative(), run_id: z.string(), agent: z.string() }),
  task_step_finished: z.strictObject({
    index: z.number().int().nonnegative(),
    run_id: z.string(),
    agent: z.string(),
    status: z.enum(['completed', 'failed', 'cancelled']),
    /** The step's answer (completed), handed to later steps as context. */
    output: z.string().optional(),
    error: z.string().optional(),
    /** CascadeGuard's "[unavailable from <agent>: <reason>]" that later steps get instead of a failed step's output. */
    marker: z.string().optional(),
  }),
  task_paused: z.strictObject({ index: z.number().int().nonnegative(), run_id: z.string(), reason: z.string() }),
  task_resumed: z.strictObject({ pid: z.number().int().optional() }),
  task_completed: z.strictObject({ steps: z.number().int().nonnegative() }),
  task_failed: z.strictObject({ error: z.string(), failed_steps: z.array(z.number().int().nonnegative()).default([]) }),
  task_cancelled: z.strictObject({ reason: z.string() }),
  /** A step's run stopped resumably (a transient failure): the task stops too, and a resume continues that step. */
  task_interrupted: z.strictObject({ index: z.number().int().nonnegative(), run_id: z.string(), reason: z.string(), kind: z.enum(FAILURE_KINDS) }),
} as const;

/** Event types that only a task run's log holds. */
export const TASK_EVENT_TYPES = ['task_started', 'task_step_started', 'task_step_finished', 'task_paused', 'task_resumed', 'task_completed', 'task_failed', 'task_cancelled', 'task_interrupted'] as const;
export type TaskEventType = (typeof TASK_EVENT_TYPES)[number];

export type RunEventType = keyof typeof payloads;
export const RUN_EVENT_TYPES = Object.keys(payloads) as RunEventType[];
export type RunEventPayload<T extends RunEventType> = z.infer<(typeof payloads)[T]>;
/** What callers pass to `append` (defaults may be omitted). */
export type RunEventInput<T extends RunEventType> = z.input<(typeof payloads)[T]>;

/** The list as the non-empty tuple zod's unions take (it is never empty: every event type is listed). */
function nonEmpty<T>(list: readonly T[]): [T, ...T[]] {
  const [first, ...rest] = list;
  if (first === undefined) throw new Error('no run event types');
  return [first, ...rest];
}

const envelope = <T extends RunEventType>(type: T) =>
  z.strictObject({ seq: z.number().int().nonnegative(), time: z.number().int().nonnegative(), type: z.literal(type), payload: payloads[type] });

export const runEventSchema = z.discriminatedUnion(
  'type',
  nonEmpty(RUN_EVENT_TYPES.map((t) => envelope(t))),
);

export type RunEvent = { [T in RunEventType]: { seq: number; time: number; type: T; payload: RunEventPayload<T> } }[RunEventType];
export type RunEventOf<T extends RunEventType> = Extract<RunEvent, { type: T }>;

export function parseRunEvent(value: unknown): { ok: true; event: RunEvent } | { ok: false; error: string } {
  const r = runEventSchema.safeParse(value);
  if (r.success) return { ok: true, event: r.data as RunEvent };
  return { ok: false, error: r.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`).join('; ') };
}
