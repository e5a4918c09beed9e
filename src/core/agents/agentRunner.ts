import { isConfigError } from '../config/configError';
import type { AgentConfig } from '../config/schema';
import { isProviderError } from '../providers/errors';
import { isCircuitOpenError } from '../resilience/errors';
import { fold, isFinished } from '../runs/fold';
import type { RunLogWriter } from '../runs/runLog';
import { isRunLogConflictError } from '../runs/runLogErrors';
import { isFinal } from '../runs/runPhase';
import type { RunState } from '../runs/runState';
import { delegateSpec } from './delegateTool';
import { failureKindOf } from './failureKind';
import { loopGuard } from './loopGuard';
import type { AgentRuntime } from './runtime';
import { recorderFor, type Recorder } from './recorder';
import { buildSystemPrompt } from './systemPrompt';
import { ToolStep } from './toolStep';

export interface StartRunOptions {
  readonly agent: string;
  readonly prompt: string;
  /** Earlier outputs (a task's previous steps), sent before the prompt. */
  readonly context?: string;
  readonly runId?: string;
  readonly parentRunId?: string;
  readonly depth?: number;
  readonly chain?: readonly string[];
  readonly task?: string;
  /** The task run this run is a step of. */
  readonly taskRunId?: string;
}


/**
 * The agent loop, on the durable run log: the next step is always decided from
 * `fold(log)`, so the same code starts a run and resumes one a crash interrupted in any process.
 */
export class AgentRunner {
  constructor(private readonly rt: AgentRuntime) {}

  /** Starts a run and drives it until it completes, fails, is cancelled or waits on a human. */
  async start(options: StartRunOptions, signal: AbortSignal): Promise<RunState> {
    const config = this.rt.config();
    if (!(options.agent in config.agents)) {
      throw new UnknownAgentError(options.agent, Object.keys(config.agents));
    }
    const runId = options.runId ?? this.rt.store.newRunId();
    const writer = this.rt.store.openWriter(runId);
    try {
      const record = recorderFor(runId, writer, this.rt.onRunEvent);
      // The log is created with this event (never empty); a crash right after it leaves a run to resume.
      if (writer.all.length === 0) {
        record('run_started', {
          run_id: runId,
          agent: options.agent,
          prompt: options.prompt,
          config_hash: this.rt.configHash(),
          ...(options.context === undefined ? {} : { context: options.context }),
          ...(options.parentRunId === undefined ? {} : { parent_run_id: options.parentRunId }),
          depth: options.depth ?? 0,
          chain: [...(options.chain ?? [])],
          ...(options.task === undefined ? {} : { task: options.task }),
          ...(options.taskRunId === undefined ? {} : { task_run_id: options.taskRunId }),
        });
      }
      return await this.drive(runId, writer, record, signal);
    } finally {
      await writer.close();
    }
  }

  /**
   * Continues a run from exactly where its log ends (another process may have written it): a paused
   * run asks again, an interrupted one (crashed, cancelled, stopped by a transient failure) goes on.
   * `before` runs under the run's lock with the state read under it: the place to record a decision.
   */
  async resume(runId: string, signal: AbortSignal, before?: (record: Recorder, state: RunState) => void): Promise<RunState> {
    const writer = this.rt.store.openWriter(runId);
    try {
      if (writer.repairedTail) {
        this.rt.onWarning?.(runId, `${writer.file}: line ${writer.repairedTail.line} was torn by a crash mid-write (${writer.repairedTail.bytes} bytes); it was cut off and the run continues from the last complete event`);
      }
      const record = recorderFor(runId, writer, this.rt.onRunEvent);
      const state = fold(writer.all);
      if (isFinal(state)) return state;
      if (state.configHash !== this.rt.configHash()) {
        this.rt.onWarning?.(runId, `the agents file changed since run ${runId} started; it continues with the current config`);
      }
      before?.(record, state);
      record('run_resumed', { pid: process.pid });
      return await this.drive(runId, writer, record, signal);
    } finally {
      await writer.close();
    }
  }

  /**
   * Records events in a run without driving it (a decision that ends the run, such as a denial that
   * fails a task's step). Takes the run's lock like any writer; a finished run is returned untouched.
   */
  async settle(runId: string, write: (record: Recorder, state: RunState) => void): Promise<RunState> {
    const writer = this.rt.store.openWriter(runId);
    try {
      const state = fold(writer.all);
      if (isFinal(state)) return state;
      write(recorderFor(runId, writer, this.rt.onRunEvent), state);
      return fold(writer.all);
    } finally {
      await writer.close();
    }
  }

  private async drive(runId: string, writer: RunLogWriter, record: Recorder, signal: AbortSignal): Promise<RunState> {
    const steps = new ToolStep(this.rt, this, record);
    try {
      for (;;) {
        signal.throwIfAborted();
        let state = fold(writer.all);
        // Completed, failed, paused or interrupted: this command is done with the run.
        if (state.status !== 'running') return state;
        const config = this.rt.config();
        const agent = config.agents[state.agent];
        if (!agent) {
          record('run_failed', { error: `agent "${state.agent}" is no longer in the config; add it back to resume this run`, kind: 'config' });
          continue;
        }
        const open = state.toolCalls.filter((c) => !isFinished(c));
        if (open.length > 0) {
          for (const call of open) await steps.advance(state, call, agent, signal);
          state = fold(writer.all);
          const waiting = state.toolCalls.filter((c) => !isFinished(c));
          if (waiting.length > 0 && state.status === 'running') {
            const children = waiting.filter((c) => c.childRunId !== undefined).map((c) => c.childRunId);
            record('run_paused', {
              reason: children.length > 0 ? `waiting on delegate run ${children.join(', ')}` : `${waiting.length} call(s) need approval`,
              pending: waiting.map((c) => c.id),
            });
            return fold(writer.all);
          }
          continue;
        }
        const lastAssistant = [...state.messages].reverse().find((m) => m.role === 'assistant');
        if (lastAssistant && lastAssistant.role === 'assistant' && lastAssistant.toolCalls.length === 0) {
          record('run_completed', { output: lastAssistant.text });
          continue;
        }
        const maxTurns = agent.max_turns;
        if (state.turns >= maxTurns) {
          record('run_failed', { error: `reached max_turns (${maxTurns}) without a final answer; raise agents.${state.agent}.max_turns or narrow the prompt`, kind: 'max_turns' });
          continue;
        }
        await this.modelTurn(state, agent, record, () => fold(writer.all), signal);
      }
    } catch (e) {
      // The log itself cannot be written: nothing can be recorded, the caller must know.
      if (isRunLogConflictError(e)) throw e;
      const state = fold(writer.all);
      try {
        if (signal.aborted) {
          // Cancelled (Ctrl-C, SIGTERM, Stop): interrupted, and a resume continues it.
          if (state.status === 'running') record('run_cancelled', { reason: reasonOf(signal) });
          return fold(writer.all);
        }
        if (state.status === 'running') {
          record('run_failed', { error: errorMessage(e), kind: isConfigError(e) ? 'config' : 'internal', ...(e instanceof Error && e.stack ? { cause: e.stack } : {}) });
        }
      } catch {
        // The failure could not even be recorded (the log cannot be written): report the original one.
        throw e;
      }
      if (isConfigError(e)) throw e;
      return fold(writer.all);
    }
  }

  private async modelTurn(state: RunState, agent: AgentConfig, record: Recorder, current: () => RunState, signal: AbortSignal): Promise<void> {
    const config = this.rt.config();
    const target = { provider: agent.provider ?? config.settings.default_provider, model: agent.model ?? config.settings.default_model };
    // The agents it may ask: its `delegates` list (which also grants the delegate tool), none by default.
    const delegates = agent.delegates.filter((n) => n !== state.agent && n in config.agents);
    const toolNames = agent.tools.filter((t) => t !== 'delegate');
    const specs = [...this.rt.tools.specs(toolNames), ...(delegates.length > 0 ? [delegateSpec(delegates)] : [])];
    const turnNo = state.turns;
    record('llm_call_started', { turn: turnNo, provider: target.provider, model: target.model });
    // A request costs money: it is sent only once its intent is on disk (and never if that could not be recorded).
    await record.durable();
    let turn;
    try {
      turn = await this.rt.gateway.call(
        target,
        {
          system: buildSystemPrompt(state.agent, config, this.rt.facts, delegates),
          messages: state.messages,
          tools: specs,
          maxTokens: agent.max_tokens,
          ...(agent.temperature === undefined ? {} : { temperature: agent.temperature }),
        },
        {
          agentName: state.agent,
          runId: state.runId,
          chargedTo: [...state.chain].reverse(),
          signal,
          onText: (d) => this.rt.onText?.(state.runId, state.agent, d),
          // Passing onDiscard lets the gateway redo a turn whose stream broke mid-way (within max_retries);
          // only assistant text that completed is ever written to the run log, so nothing partial is kept.
          onDiscard: (partial, reason) => this.rt.onDiscard?.(state.runId, state.agent, partial, reason),
        },
      );
    } catch (e) {
      if (signal.aborted) throw e;
      const kind = failureKindOf(e);
      record('llm_call_failed', { turn: turnNo, kind, message: errorMessage(e), ...(causeOf(e) ? { cause: causeOf(e) } : {}) });
      let fallback;
      let fallbackError: unknown;
      if (agent.fallback && this.rt.fallback && isFallbackWorthy(e)) {
        try {
          fallback = await this.rt.fallback({ agentName: state.agent, runId: state.runId, prompt: state.prompt, messages: state.messages, error: e, signal });
        } catch (fe) {
          if (signal.aborted) throw fe;
          fallbackError = fe;
        }
      }
      if (fallback) {
        record('fallback_used', { strategy: fallback.strategy, detail: fallback.detail });
        record('assistant_message', { turn: turnNo, text: fallback.text, tool_calls: [] });
        return;
      }
      // The fallback's own failure is told, but the run stops for the provider's reason (typed): a
      // transient one leaves it interrupted, to be resumed when the provider is back.
      const also = fallbackError === undefined ? '' : `; the ${agent.fallback?.strategy ?? ''} fallback could not answer either: ${errorMessage(fallbackError)}`;
      record('run_failed', { error: `${target.provider} call failed: ${errorMessage(e)}${also}`, kind, ...(causeOf(e) ? { cause: causeOf(e) } : {}) });
      return;
    }
    record('llm_call_completed', {
      turn: turnNo,
      provider: turn.provider,
      model: turn.model,
      usage: { input_tokens: turn.usage.inputTokens, output_tokens: turn.usage.outputTokens, cache_read_tokens: turn.usage.cacheReadTokens, cache_creation_tokens: turn.usage.cacheCreationTokens },
      cost_usd: turn.costUsd,
      attempts: turn.attempts,
      stop_reason: turn.stopReason,
    });
    const calls = turn.toolCalls.map((tc) => ({ id: tc.call.id, name: tc.call.name, args: tc.call.args ?? {}, ...(tc.invalid === undefined ? {} : { invalid: tc.invalid }) }));
    record('assistant_message', { turn: turnNo, text: turn.text, tool_calls: calls });
    for (const c of calls) record('tool_call_requested', { call_id: c.id, tool: c.name, args: c.args });
    const after = current();
    const tripped = loopGuard(after.toolCalls, config.settings.loop_guard_repeats);
    if (tripped) {
      for (const c of calls) record('tool_call_skipped', { call_id: c.id, reason: 'stopped by the loop guard' });
      record('run_failed', { error: tripped, kind: 'loop_guard' });
    }
  }
}

export class UnknownAgentError extends Error {
  constructor(
    readonly agent: string,
    readonly known: readonly string[],
  ) {
    super(`no agent named "${agent}"; configured agents: ${known.join(', ') || '(none)'}`);
    this.name = 'UnknownAgentError';
  }
}

/** Completed or failed for good: nothing will continue it (an interrupted or paused run is not terminal). */
export function isTerminal(state: RunState): boolean {
  return isFinal(state);
}

/** The fallback runner decides per strategy; this only keeps user-fixable failures (auth, bad request, budget) out. */
function isFallbackWorthy(e: unknown): boolean {
  return isCircuitOpenError(e) || (isProviderError(e) && (e.transient || e.kind === 'context_too_long'));
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function causeOf(e: unknown): string | undefined {
  const cause = e instanceof Error ? e.cause : undefined;
  if (cause instanceof Error) return cause.stack ?? cause.message;
  return cause === undefined ? undefined : typeof cause === 'string' ? cause : JSON.stringify(cause);
}

function reasonOf(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return r instanceof Error ? r.message : typeof r === 'string' ? r : 'cancelled';
}
