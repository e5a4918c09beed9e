import type { Breakwater, BreakwaterOptions, RunState } from '../core/breakwater';
import type { SensitiveValue } from '../core/config/trust';
import { createBreakwater, outcomeOf } from '../core/breakwater';
import { Emitter } from '../core/common/event';
import type { CoreEvent } from '../core/common/coreEvents';
import { isConfigError } from '../core/config/configError';
import { toHealth, toSnapshot } from './statusSnapshot';
import type { PreparedCall } from '../core/tools/types';
import type { AgentView, ConfigProblem, CoreFacade, ProposedWrite, RunListItem, RunObserver, RunOutcome } from './coreFacade';

/** What the facade asks of its host beyond the core's options. */
export interface FacadeHooks {
  /**
   * Before anything is sent (a run, a health check): the workspace file's sensitive values not yet confirmed.
   * `proceed: false` stops the operation with `reason`; `confirmed > 0` reloads the config so they apply.
   */
  readonly reviewWorkspaceValues?: (pending: readonly SensitiveValue[]) => Promise<{ readonly proceed: true; readonly confirmed: number } | { readonly proceed: false; readonly reason: string }>;
}

/** An operation did not start because the user did not settle the workspace file's unconfirmed values. */
export class NotConfirmedError extends Error {
  override name = 'NotConfirmedError';
}

/**
 * `CoreFacade` over the core's `createBreakwater`. Routes the core's global run events and text to
 * the observer of the operation that started the run (and to its delegates' runs). When the agents
 * file does not load, the facade still exists and reports the problem; `reloadConfig` tries again.
 */
export async function createBreakwaterFacade(options: BreakwaterOptions, hooks: FacadeHooks = {}): Promise<CoreFacade> {
  const events = new Emitter<CoreEvent>();
  /** `manyRuns`: an operation that starts several top-level runs (a task) keeps claiming new ones. */
  const observers = new Set<{ observer: RunObserver; runs: Set<string>; agent: string | null; claimed: boolean; manyRuns: boolean }>();
  let core: Breakwater | undefined;
  let problem: ConfigProblem | undefined;
  let lastText = new Map<string, string>();

  const observerFor = (runId: string, parent: string | undefined, agent: string) => {
    for (const o of observers) if (o.runs.has(runId) || (parent !== undefined && o.runs.has(parent))) return o;
    for (const o of observers) if (!o.claimed && (o.agent === null || o.agent === agent)) return o;
    return undefined;
  };

  async function open(): Promise<void> {
    try {
      core = await createBreakwater({
        ...options,
        onText: (runId, _agent, delta) => {
          for (const o of observers) if (o.runs.has(runId)) o.observer.onText?.(runId, delta);
          lastText.set(runId, (lastText.get(runId) ?? '') + delta);
        },
        onDiscard: (runId, _agent, partial, reason) => {
          for (const o of observers) if (o.runs.has(runId)) o.observer.onDiscard?.(runId, partial, reason);
          const text = lastText.get(runId) ?? '';
          lastText.set(runId, text.endsWith(partial) ? text.slice(0, text.length - partial.length) : '');
        },
      });
      problem = undefined;
      core.events((e) => events.fire(e));
      core.onRunEvent(({ runId, event }) => {
        let target = [...observers].find((o) => o.runs.has(runId));
        if (!target && event.type === 'task_started') {
          // A task run belongs to the operation that started it (Run Task…); its steps then follow it.
          target = observerFor(runId, undefined, '');
          target?.runs.add(runId);
        }
        if (!target && event.type === 'run_started') {
          target = observerFor(runId, event.payload.parent_run_id ?? event.payload.task_run_id, event.payload.agent);
          if (target) {
            target.runs.add(runId);
            if (event.payload.parent_run_id === undefined && !target.manyRuns) target.claimed = true;
          }
        }
        target?.observer.onEvent?.(runId, event);
      });
      core.onConfigError((e) => (problem = toProblem(e, options.configFile)));
    } catch (e) {
      if (!isConfigError(e)) throw e;
      core = undefined;
      problem = toProblem(e, options.configFile);
    }
  }
  await open();

  const need = (): Breakwater => {
    if (!core) throw new Error(problem?.message ?? 'Breakwater is not available');
    return core;
  };

  /** The core, after the user settled every unconfirmed sensitive value of the workspace file (see `FacadeHooks`). */
  const cleared = async (): Promise<Breakwater> => {
    const c = need();
    const pending = (c.loadedConfig().scopes?.sensitive ?? []).filter((v) => v.status === 'unconfirmed');
    if (pending.length === 0 || !hooks.reviewWorkspaceValues) return c;
    const review = await hooks.reviewWorkspaceValues(pending);
    if (!review.proceed) throw new NotConfirmedError(review.reason);
    if (review.confirmed > 0) await c.reloadConfig();
    return c;
  };

  async function observed<T>(observer: RunObserver | undefined, agent: string | null, knownRunId: string | undefined, fn: () => Promise<T>, manyRuns = false): Promise<T> {
    // Continuing a task's step (or the task) continues the task: its later steps belong to this operation too.
    const taskRun = knownRunId === undefined || !core ? undefined : core.taskRunOf(knownRunId);
    const runs = new Set<string>([knownRunId, taskRun].filter((id): id is string => id !== undefined));
    const entry = { observer: observer ?? {}, runs, agent, claimed: knownRunId !== undefined, manyRuns };
    observers.add(entry);
    try {
      return await fn();
    } finally {
      observers.delete(entry);
      lastText = new Map([...lastText].filter(([id]) => !entry.runs.has(id)));
    }
  }

  const facade: CoreFacade = {
    events: events.event,
    async configState() {
      if (!core) return { ok: false, problem: problem ?? { file: options.configFile, message: 'not loaded', issues: [] } };
      if (problem) return { ok: false, problem };
      const config = core.config();
      const agents: AgentView[] = Object.entries(config.agents).map(([name, a]) => ({ name, provider: a.provider ?? config.settings.default_provider, model: a.model ?? config.settings.default_model, tools: a.tools }));
      const tasks = Object.entries(config.tasks).map(([name, t]) => ({ name, description: t.description, steps: t.steps }));
      return { ok: true, agents, tasks, configFile: options.configFile };
    },
    ask: (agent, prompt, o) => observed(o.observer, agent, undefined, async () => toOutcome(await (await cleared()).ask(agent, prompt, { signal: o.signal }))),
    askAll: (prompt, o) =>
      observed(o.observer, null, undefined, async () => {
        const results = await (await cleared()).askAll(prompt, { signal: o.signal });
        const outcomes = [...results.entries()].map(([agent, r]) => (r.kind === 'run' ? toOutcome(r.state) : failed(agent, r.error)));
        for (const out of outcomes) o.onAgentDone?.(out);
        return outcomes;
      }),
    runTask: (task, prompt, o) => {
      let totalSteps = need().config().tasks[task]?.steps.length ?? 0;
      return observed(
        {
          ...o.observer,
          // The task run records each step before its run starts, with its index.
          onEvent: (runId, event) => {
            if (event.type === 'task_started') totalSteps = event.payload.steps.length;
            if (event.type === 'task_step_started') o.onStep?.(event.payload.index, totalSteps, event.payload.agent);
            o.observer?.onEvent?.(runId, event);
          },
        },
        null,
        undefined,
        async () => {
          const result = await (await cleared()).runTask(task, prompt, { signal: o.signal });
          return { status: outcomeOf(result).shown, steps: result.steps.map((s) => (s.kind === 'run' ? toOutcome(s.state) : failed(s.agent, s.error))) };
        },
        // Every step's run belongs to this operation, not only the first one.
        true,
      );
    },
    resume: (runId, o) => observed(o.observer, null, runId, async () => toOutcome(await (await cleared()).resume(runId, { signal: o.signal }))),
    approve: (runId, callId, o) => observed(o.observer, null, runId, async () => toOutcome(await (await cleared()).approve(runId, callId, { signal: o.signal }))),
    deny: (runId, callId, reason, o) => observed(o.observer, null, runId, async () => toOutcome(await (await cleared()).deny(runId, callId, reason, { signal: o.signal }))),
    undo: async (runId) => {
      const r = need().undo(runId) as unknown as { files?: readonly { path?: string; status?: string }[] };
      const files = r.files ?? [];
      return files.length === 0 ? `Run ${runId} changed no files.` : files.map((f) => `${f.path ?? '?'}: ${f.status ?? 'done'}`).join('\n');
    },
    // From the core's run index: listing never replays a log.
    listRuns: async () =>
      need()
        .listRuns()
        .map((r): RunListItem => ({ runId: r.runId, agent: r.agent, status: r.status, startedAt: r.startedAt, updatedAt: r.updatedAt, prompt: r.title, ...(r.error === undefined ? {} : { error: r.error }) }))
        .sort((a, b) => b.updatedAt - a.updatedAt),
    repairRun: async (runId) => need().repairRun(runId),
    archiveRun: async (runId) => need().archiveRun(runId),
    readRun: async (runId) => {
      const c = need() as unknown as { layout: { runLog(id: string): string } };
      const { replayRunLog } = await import('../core/runs/runLog');
      return replayRunLog(c.layout.runLog(runId)).events;
    },
    status: async () => toSnapshot(need().status(), await facade.listRuns(), (options.clock ?? Date.now)()),
    health: async (signal) => toHealth(await (await cleared()).health({ signal })),
    keySources: async () => (core ? core.keySources() : []),
    resetBreaker: async (scope, name) => need().resetBreaker(scope, name),
    exportCosts: async () => JSON.parse(need().exportCosts()) as unknown,
    proposeWrite: async (file, content) => toProposedWrite(await need().proposeWrite(file, content)),
    applyProposed: (callId, decision) => need().applyProposed({ callId }, decision),
    reloadConfig: async () => {
      if (!core) return open();
      try {
        await core.reloadConfig();
        problem = undefined;
      } catch (e) {
        if (!isConfigError(e)) throw e;
        problem = toProblem(e, options.configFile);
      }
    },
    dispose: () => {
      core?.dispose();
      events.dispose();
    },
  };
  return facade;
}

function toProblem(e: unknown, file: string): ConfigProblem {
  if (isConfigError(e)) return { file: e.file, message: e.message.split('\n')[0] + (e.issues[0] ? ` — ${e.issues[0].path}: ${e.issues[0].message}` : ''), issues: e.issues };
  return { file, message: e instanceof Error ? e.message : String(e), issues: [] };
}

/** The card's view of a prepared write: blocked and invalid calls are refusals, everything else asks. */
export function toProposedWrite(p: PreparedCall): ProposedWrite {
  if (p.decision.kind === 'block') return { kind: 'refused', reason: p.decision.reason };
  if (p.invalid !== undefined) return { kind: 'refused', reason: p.invalid };
  const c = p.approval?.change;
  if (c === undefined) return { kind: 'refused', reason: `the write could not be prepared for review (${p.summary})` };
  return { kind: 'ask', callId: p.callId, reason: p.decision.reason, everyTime: p.decision.kind === 'ask_every_time', path: c.path, relativePath: c.relativePath, diff: c.diff, currentContent: c.before, proposedContent: c.after };
}

function failed(agent: string, error: string): RunOutcome {
  return { runId: `failed-${agent}`, agent, status: 'failed', output: '', costUsd: 0, inputTokens: 0, outputTokens: 0, pendingApprovals: [], error: { message: error } };
}

/** A run's state as the chat shows it, by the core's one mapping (`outcomeOf`); the failure kind is the typed one. */
export function toOutcome(s: RunState): RunOutcome {
  const o = outcomeOf(s);
  return {
    runId: s.runId,
    agent: s.agent,
    status: o.shown,
    output: s.output,
    costUsd: s.costUsd,
    inputTokens: s.usage.input_tokens,
    outputTokens: s.usage.output_tokens,
    pendingApprovals: s.pendingApprovals.map((p) => ({ callId: p.callId, tool: p.tool, summary: p.summary })),
    ...(o.error === undefined ? {} : { error: { message: o.error, ...(o.failureKind === undefined ? {} : { kind: o.failureKind }) } }),
  };
}
