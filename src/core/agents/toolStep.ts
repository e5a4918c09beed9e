import type { AgentConfig } from '../config/schema';
import { saveBackup } from '../runs/backups';
import type { RunState, StoredPrepared, ToolCallState } from '../runs/runState';
import type { RunEventInput } from '../runs/events';
import { rank } from '../sandbox/decisions';
import type { Authorization, PreparedCall } from '../tools/types';
import type { ApprovalAnswer } from './approvals';
import { DELEGATE_TOOL, delegateArgsSchema, prepareDelegation } from './delegateTool';
import type { Recorder } from './recorder';
import type { AgentRuntime } from './runtime';

/** What a delegation needs of the agent loop (AgentRunner): start a child run, or continue one after a crash. */
export interface ChildRunner {
  start(options: { agent: string; prompt: string; runId: string; parentRunId: string; depth: number; chain: readonly string[] }, signal: AbortSignal): Promise<RunState>;
  resume(runId: string, signal: AbortSignal): Promise<RunState>;
}

/**
 * Moves one tool call forward by as many steps as it can take now: judge it, ask for approval,
 * run it, or — after a crash — find out whether it already ran. Every step is recorded (fsync'd)
 * BEFORE it is taken. It knows no tool but `delegate` (which the run layer carries out): what a call
 * needs is in its prepared form — the decision, the approval view, undo and crash information, and
 * whether its effect can be checked afterwards.
 */
export class ToolStep {
  constructor(
    private readonly rt: AgentRuntime,
    private readonly runner: ChildRunner,
    private readonly record: Recorder,
  ) {}

  async advance(state: RunState, call: ToolCallState, agent: AgentConfig, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (call.invalid !== undefined) {
      this.record('tool_call_failed', { call_id: call.id, status: 'error', error: `invalid arguments: ${call.invalid}` });
      return;
    }
    let prepared = call.prepared;
    // Decided in an earlier step (before a pause, a crash, or in another process): the config may have changed since.
    const decidedEarlier = prepared !== undefined;
    if (!prepared) {
      prepared = await this.decide(state, call, agent);
      if (!prepared) return;
    }
    if (call.started) {
      await this.recover(state, call, prepared, signal);
      return;
    }
    const decision = prepared.decision;
    // Each of these is also where a resume lands when the crash came right after the decision.
    if (decision.kind === 'block') {
      this.record('tool_call_failed', { call_id: call.id, status: 'blocked', error: decision.reason });
      return;
    }
    let approval = call.approval;
    if ((decision.kind === 'ask' || decision.kind === 'ask_every_time') && approval === 'none') {
      this.record('approval_requested', { call_id: call.id, tool: call.tool, summary: prepared.summary, kind: decision.kind, reason: decision.reason });
      approval = 'pending';
    }
    if (approval === 'pending') {
      const answer = await this.ask(state, call, prepared, signal);
      if (answer.kind === 'defer') return;
      if (answer.kind === 'deny') {
        this.record('approval_denied', { call_id: call.id, by: 'user', ...(answer.reason ? { reason: answer.reason } : {}) });
        return;
      }
      // `--yes` never covers ask-every-time nor a call that may already have run (the engine refuses it too).
      if (answer.by === 'yes_flag' && (decision.kind !== 'ask' || call.mayHaveRun)) return;
      this.record('approval_granted', { call_id: call.id, by: answer.by, ...(answer.always && decision.kind === 'ask' && decision.grantKey ? { always: true, grant_key: decision.grantKey } : {}) });
      if (answer.always && decision.kind === 'ask' && decision.grantKey) this.rt.tools.grant(decision.grantKey);
      call.grantedBy = answer.by;
      approval = 'granted';
    }
    if (decision.kind !== 'allow' && approval !== 'granted') return;
    if (decidedEarlier || decision.kind !== 'allow') {
      const again = await this.judgeAgain(state, call, agent, prepared);
      if (again.kind === 'stop') return;
      if (again.kind === 'ask_again') {
        await this.advance(state, again.call, agent, signal);
        return;
      }
    }
    await this.execute(state, call, prepared, signal);
  }

  /**
   * Judges an approved call again with the config in force now (it may have changed while the call
   * waited: a command now denied, a path now ignored, a delegate no longer listed). A block now wins
   * and the call fails; a stricter decision than the one approved asks again (a write/edit whose
   * target changed fails instead: the diff the user saw no longer describes it).
   */
  private async judgeAgain(state: RunState, call: ToolCallState, agent: AgentConfig, prepared: StoredPrepared): Promise<{ kind: 'go' | 'stop' } | { kind: 'ask_again'; call: ToolCallState }> {
    const fresh = await this.judge(state, call, agent);
    if ('failed' in fresh) {
      this.record('tool_call_failed', { ...fresh.failed, error: `${fresh.failed.error} (judged again when it was to run)` });
      return { kind: 'stop' };
    }
    const now = fresh.prepared.decision;
    if (now.kind === 'block') {
      this.record('tool_call_failed', { call_id: call.id, status: 'blocked', error: `${now.reason} (judged again with the configuration in force when it was to run)` });
      return { kind: 'stop' };
    }
    if (rank(now.kind) <= rank(prepared.decision.kind)) return { kind: 'go' };
    const before = prepared.precondition;
    const after = fresh.prepared.precondition;
    if (before !== undefined && (after === undefined || after.path !== before.path || after.beforeHash !== before.beforeHash)) {
      // A write/edit whose target changed: the diff the user saw is no longer what would happen.
      this.record('tool_call_failed', { call_id: call.id, status: 'error', error: `${before.path} changed since the call was approved (${now.reason}); nothing was written. Read it again and retry.` });
      return { kind: 'stop' };
    }
    const reason = `${now.reason} (the configuration changed since it was approved, so it needs approval again)`;
    const updated: StoredPrepared = { ...prepared, decision: { ...now, reason }, ...(fresh.prepared.context !== undefined ? { context: fresh.prepared.context } : {}) };
    this.record('tool_call_decided', { call_id: call.id, prepared: updated });
    this.record('approval_requested', { call_id: call.id, tool: call.tool, summary: prepared.summary, kind: now.kind === 'ask' ? 'ask' : 'ask_every_time', reason });
    const { grantedBy: _dropped, ...rest } = call;
    return { kind: 'ask_again', call: { ...rest, prepared: updated, approval: 'pending' } };
  }

  /** Judges a new call and records the decision; returns undefined when the call was answered instead. */
  private async decide(state: RunState, call: ToolCallState, agent: AgentConfig): Promise<StoredPrepared | undefined> {
    const judged = await this.judge(state, call, agent);
    if ('failed' in judged) {
      this.record('tool_call_failed', judged.failed);
      return undefined;
    }
    return this.recordDecision(state, call, judged.prepared);
  }

  /** The decision for a call under the config in force now (nothing is recorded). */
  private async judge(state: RunState, call: ToolCallState, agent: AgentConfig): Promise<{ prepared: PreparedCall } | { failed: RunEventInput<'tool_call_failed'> & { error: string } }> {
    const config = this.rt.config();
    // `delegates` grants the delegate tool; the list decides whom (checked below with the config in force).
    const tools: readonly string[] = agent.tools;
    if (!tools.includes(call.tool) && !(call.tool === DELEGATE_TOOL && agent.delegates.length > 0)) {
      return { failed: { call_id: call.id, status: 'blocked', error: `agent ${state.agent} may not use the ${call.tool} tool (agents.${state.agent}.tools)` } };
    }
    if (call.tool === DELEGATE_TOOL) {
      const scope = { chain: [...state.chain, state.agent], known: Object.keys(config.agents), maxDepth: this.rt.maxDelegateDepth ?? 3, allowed: agent.delegates };
      const d = prepareDelegation(call.id, call.args, scope);
      return 'error' in d ? { failed: { call_id: call.id, status: 'error', error: d.error } } : { prepared: d.prepared };
    }
    return { prepared: await this.rt.tools.prepare({ id: call.id, name: call.tool, args: call.args }, { agentName: state.agent, agent, config }) };
  }

  /** Records a decision (after keeping, for a write/edit, what it replaces). */
  private async recordDecision(state: RunState, call: ToolCallState, prepared: PreparedCall): Promise<StoredPrepared> {
    const { previousContent, ...stored } = prepared;
    // Keep what a write/edit replaces BEFORE anything can run, so the run can be undone.
    if (previousContent !== undefined && prepared.precondition) {
      await saveBackup(this.rt.store.layout.backups(state.runId), {
        callId: call.id,
        path: prepared.precondition.path,
        previousContent,
        afterHash: prepared.precondition.afterHash,
        seq: state.lastSeq + 1,
      });
    }
    this.record('tool_call_decided', { call_id: call.id, prepared: stored });
    return stored;
  }

  private async ask(state: RunState, call: ToolCallState, prepared: StoredPrepared, signal: AbortSignal): Promise<ApprovalAnswer> {
    if (!this.rt.approver) return { kind: 'defer' };
    const kind = call.mayHaveRun || prepared.decision.kind === 'ask_every_time' ? 'ask_every_time' : 'ask';
    return this.rt.approver(
      {
        runId: state.runId,
        agent: state.agent,
        callId: call.id,
        tool: call.tool,
        summary: prepared.summary,
        kind,
        reason: call.mayHaveRun ? MAY_HAVE_RUN : prepared.decision.reason,
        mayHaveRun: call.mayHaveRun,
        ...(prepared.approval !== undefined ? { request: prepared.approval } : {}),
      },
      signal,
    );
  }

  private async execute(state: RunState, call: ToolCallState, prepared: StoredPrepared, signal: AbortSignal): Promise<void> {
    if (call.tool === DELEGATE_TOOL) {
      await this.delegate(state, call, prepared, signal);
      return;
    }
    const key = call.starts === 0 ? call.id : `${call.id}#${call.starts + 1}`;
    this.record('tool_call_started', { call_id: call.id, idempotency_key: key, ...(prepared.precondition ? { precondition: prepared.precondition } : {}) });
    // The intent (and the approval before it) must be on disk before the effect can happen.
    await this.record.durable();
    const outcome = await this.rt.tools.execute(prepared, authorization(prepared, call), signal);
    signal.throwIfAborted();
    if (outcome.status === 'ok') this.record('tool_call_completed', { call_id: call.id, output: outcome.output, truncated: outcome.truncated });
    else this.record('tool_call_failed', { call_id: call.id, status: outcome.status, error: outcome.error });
  }

  private async delegate(state: RunState, call: ToolCallState, prepared: StoredPrepared, signal: AbortSignal): Promise<void> {
    const args = delegateArgsSchema.parse(prepared.args);
    const childRunId = call.childRunId ?? this.rt.store.childRunId(state.runId, call.id);
    if (!call.started) this.record('tool_call_started', { call_id: call.id, idempotency_key: call.id, child_run_id: childRunId });
    await this.record.durable();
    const child = this.rt.store.exists(childRunId)
      ? await this.runner.resume(childRunId, signal)
      : await this.runner.start({ agent: args.agent, prompt: args.prompt, runId: childRunId, parentRunId: state.runId, depth: state.depth + 1, chain: [...state.chain, state.agent] }, signal);
    if (child.status === 'completed') {
      this.record('tool_call_completed', { call_id: call.id, output: child.output, cost_usd: child.costUsd });
    } else if (child.status !== 'waiting_on_human') {
      this.record('tool_call_failed', { call_id: call.id, status: 'error', error: `${args.agent} (run ${childRunId}) ${child.status}: ${child.error ?? 'no answer'}` });
    }
    // waiting_on_human: the call stays started; the parent pauses and a resume continues the child.
  }

  /** A call started before a crash and never completed. */
  private async recover(state: RunState, call: ToolCallState, prepared: StoredPrepared, signal: AbortSignal): Promise<void> {
    if (call.tool === DELEGATE_TOOL) {
      await this.delegate(state, call, prepared, signal);
      return;
    }
    // An effect that cannot be checked afterwards (the tool says so in the stored call) is never repeated without asking.
    if (prepared.unverifiable) {
      this.record('approval_requested', { call_id: call.id, tool: call.tool, summary: prepared.summary, kind: 'ask_every_time', reason: MAY_HAVE_RUN, may_have_run: true });
      return;
    }
    if (prepared.precondition) {
      const applied = await this.rt.tools.checkApplied(prepared);
      if (applied === 'applied') {
        this.record('tool_call_completed', { call_id: call.id, output: `${prepared.summary}: applied (confirmed from the file after an interruption)`, recovered: true });
        return;
      }
      if (applied === 'changed') {
        this.record('tool_call_failed', { call_id: call.id, status: 'error', error: `${prepared.precondition.path} changed since the call was approved; it was not applied. Read the file again before changing it.` });
        return;
      }
    }
    // Not applied (or a read-only tool): safe to run again.
    await this.execute(state, { ...call, started: false }, prepared, signal);
  }
}

const MAY_HAVE_RUN = 'this call started before an interruption and may already have run; approve to run it again, deny to skip it';

function authorization(prepared: StoredPrepared, call: ToolCallState): Authorization {
  if (prepared.decision.kind === 'allow') return { by: 'policy' };
  switch (call.grantedBy) {
    case 'yes_flag':
      return { by: 'yes_flag' };
    case 'grant':
      return prepared.decision.kind === 'ask' && prepared.decision.grantKey ? { by: 'grant', grantKey: prepared.decision.grantKey } : { by: 'user' };
    default:
      return { by: 'user' };
  }
}
