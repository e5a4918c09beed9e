import * as path from 'node:path';
import { bulkhead, type BulkheadPolicy } from 'cockatiel';
import type { Emitter } from '../common/event';
import type { CoreEvent } from '../common/coreEvents';
import { visibleText } from '../common/visibleText';
import type { ToolCallRequest, ToolSpec } from '../providers/types';
import { decide } from '../sandbox/approvalPolicy';
import { CommandSandbox, DEFAULT_SANDBOX_SETTINGS, type SandboxSettings, type SandboxStatus } from '../sandbox/commandSandbox';
import { IgnoreRules } from '../sandbox/ignoreRules';
import { WorkspaceSandbox } from '../sandbox/workspaceSandbox';
import type { SharedState } from '../state/sharedState';
import { readIfExists, sha256 } from './fileHashes';
import { DEFAULT_OUTPUT_CAP, type OutputCap } from '../sandbox/outputCap';
import { ToolRegistry } from './registry';
import { ToolBreakers } from './toolBreakers';
import type { BoundCall, Tool, ToolContext, ToolJudgement } from './toolDefinition';
import type { Authorization, Decision, ExecutionContext, PreparedCall, StoredCall, ToolEngine, ToolHost, ToolOutcome, ToolScope, ToolStats } from './types';

export interface ToolEngineOptions {
  readonly host: ToolHost;
  /** Receives `breaker_transition` (scope `tool`) and `tool_stats_changed`. */
  readonly events?: Emitter<CoreEvent>;
  /** Epoch milliseconds; defaults to Date.now (inject for fake timers). */
  readonly clock?: () => number;
  /** Domains whose requests run without asking. User-level setting only, never from the workspace. */
  readonly autoApproveDomains?: readonly string[];
  /** Let http_request reach link-local and cloud metadata addresses; default false. */
  readonly allowMetadataAddresses?: boolean;
  /** Tool breakers and fleet stats shared with every process using the store (or Redis); default: this process only. */
  readonly state?: SharedState;
  /** Output limits; default 100 000 bytes and 2 000 lines. */
  readonly outputCap?: OutputCap;
  /** Milliseconds a bash/ssh command may run; default 120 000. */
  readonly commandTimeoutMs?: number;
  /** Calls of one tool running at once (more wait in a queue of 64); default 4. */
  readonly concurrencyPerTool?: number;
  /** Where a failed breaker reset goes; defaults to re-throwing asynchronously. */
  readonly onError?: (err: unknown) => void;
  /** The launcher of every process a tool starts (the OS sandbox); a default one (bwrap on PATH) otherwise. */
  readonly sandbox?: CommandSandbox;
  /** The tools it runs; defaults to the built-in nine (registry.ts). */
  readonly tools?: ToolRegistry;
}

const RANK: Record<Decision['kind'], number> = { allow: 0, ask: 1, ask_every_time: 2, block: 3 };

/** Whether `auth` answers `decision`: ask needs user/yes/matching grant; ask-every-time needs the user. */
export function authorizes(decision: Decision, auth: Authorization, grants: ReadonlySet<string>): boolean {
  switch (decision.kind) {
    case 'allow':
      return true;
    case 'ask':
      return auth.by === 'user' || auth.by === 'yes_flag' || (auth.by === 'grant' && auth.grantKey === decision.grantKey && grants.has(auth.grantKey));
    case 'ask_every_time':
      return auth.by === 'user';
    case 'block':
      return false;
  }
}

/** Flattens the scope's policy into plain JSON stored with the call. */
export function executionContextOf(scope: ToolScope): ExecutionContext {
  const s = scope.config.settings;
  const servers: Record<string, { host: string; user: string; port: number; key?: string }> = {};
  for (const name of scope.agent.servers) {
    const server = Object.prototype.hasOwnProperty.call(scope.config.servers, name) ? scope.config.servers[name] : undefined;
    if (server !== undefined) servers[name] = { host: server.host, user: server.user, port: server.port, ...(server.key !== undefined ? { key: server.key } : {}) };
  }
  return {
    agentName: scope.agentName,
    agentTools: [...scope.agent.tools],
    sandboxPaths: s.sandbox_paths,
    allowedLists: [s.allowed_commands, ...(scope.agent.allowed_commands !== undefined ? [scope.agent.allowed_commands] : [])],
    denied: [...s.denied_commands, ...scope.agent.denied_commands],
    httpAllowedDomains: s.http_allowed_domains,
    sshStrictHostChecking: s.ssh_strict_host_checking,
    servers,
    breaker: { threshold: s.tool_breaker_threshold, resetMs: s.tool_breaker_timeout * 1000 },
    sandbox: { mode: s.sandbox.mode, networkAllow: s.sandbox.network_allow },
  };
}

interface Judged {
  readonly decision: Decision;
  readonly judgement: ToolJudgement;
  readonly ctx: ToolContext;
}

const ANSWERED_WITH_ERROR = 'the call is answered with an error';

class DefaultToolEngine implements ToolEngine {
  private readonly grants = new Set<string>();
  private readonly ignoreRules = new IgnoreRules();
  private readonly breakers: ToolBreakers;
  private readonly limiters = new Map<string, BulkheadPolicy>();
  private readonly clock: () => number;
  private readonly commands: CommandSandbox;
  private readonly tools: ToolRegistry;

  constructor(private readonly options: ToolEngineOptions) {
    this.clock = options.clock ?? Date.now;
    this.tools = options.tools ?? new ToolRegistry();
    this.commands = options.sandbox ?? new CommandSandbox();
    this.breakers = new ToolBreakers({ clock: this.clock, events: options.events, state: options.state, probeMaxMs: options.commandTimeoutMs ?? 120_000, onError: options.onError });
  }

  specs(names: readonly string[]): ToolSpec[] {
    return names.flatMap((name) => {
      const tool = this.tools.get(name);
      return tool === undefined ? [] : [{ name: tool.name, description: tool.description, parameters: tool.parameters }];
    });
  }

  async prepare(call: ToolCallRequest, scope: ToolScope): Promise<PreparedCall> {
    const prepared = await this.prepareCall(call, scope);
    // Summaries and reasons are shown to the person who decides and kept in the run log: nothing in
    // them (ANSI escapes, \r, bidi overrides, zero-width characters) may hide part of the call.
    return { ...prepared, summary: visibleText(prepared.summary), decision: { ...prepared.decision, reason: visibleText(prepared.decision.reason) } };
  }

  private async prepareCall(call: ToolCallRequest, scope: ToolScope): Promise<PreparedCall> {
    const context = executionContextOf(scope);
    const base = { callId: call.id, tool: call.name, args: call.args, context };
    const tool = this.tools.get(call.name);
    if (tool === undefined) {
      return { ...base, decision: { kind: 'allow', reason: 'unknown tool' }, summary: `${call.name} (unknown)`, unverifiable: false, invalid: `Unknown tool "${call.name}". Available tools: ${this.tools.names().join(', ')}.` };
    }
    const bound = tool.bind(call.args);
    if (!bound.ok) {
      return { ...base, decision: { kind: 'allow', reason: 'invalid arguments' }, summary: `${call.name} (invalid arguments)`, unverifiable: tool.unverifiable, invalid: bound.error };
    }
    const args = bound.call.args;
    const open = this.breakers.peek(tool.name, context.breaker);
    if (!open.ok) {
      return { ...base, args, decision: { kind: 'block', reason: this.disabledMessage(tool.name, open.retryAt) }, summary: `${tool.name} (temporarily disabled)`, unverifiable: tool.unverifiable };
    }
    let judged: Judged;
    try {
      judged = await this.judge(tool, bound.call, context);
    } catch (err) {
      // Fail closed: a call that cannot be checked does not run.
      return { ...base, args, decision: { kind: 'block', reason: `the call could not be checked: ${err instanceof Error ? err.message : String(err)}` }, summary: tool.name, unverifiable: tool.unverifiable };
    }
    const { decision, judgement } = judged;
    const asks = decision.kind === 'ask' || decision.kind === 'ask_every_time';
    const answered = judgement.invalid !== undefined && decision.kind !== 'block';
    return {
      ...base,
      args,
      decision: answered ? { kind: 'allow', reason: ANSWERED_WITH_ERROR } : decision,
      summary: judgement.summary,
      unverifiable: tool.unverifiable,
      ...(asks && judgement.approval !== undefined && judgement.invalid === undefined ? { approval: judgement.approval } : {}),
      ...(judgement.precondition !== undefined ? { precondition: judgement.precondition } : {}),
      ...(judgement.previousContent !== undefined ? { previousContent: judgement.previousContent } : {}),
      ...(answered ? { invalid: judgement.invalid } : {}),
    };
  }

  async execute(prepared: StoredCall, authorization: Authorization, signal: AbortSignal): Promise<ToolOutcome> {
    if (prepared.decision.kind === 'block') return { status: 'blocked', error: prepared.decision.reason };
    if (prepared.invalid !== undefined) return { status: 'error', error: prepared.invalid };
    if (!authorizes(prepared.decision, authorization, this.grants)) {
      return { status: 'blocked', error: `Not run: this call needs ${prepared.decision.kind === 'ask_every_time' ? 'the user to approve this very call' : 'approval'} (${prepared.decision.reason}).` };
    }
    const tool = this.tools.get(prepared.tool);
    if (tool === undefined) return { status: 'error', error: `Unknown tool "${prepared.tool}"; nothing ran.` };
    if (prepared.context === undefined) return { status: 'error', error: 'This call was prepared without its policy context; prepare it again.' };
    const bound = tool.bind(prepared.args);
    if (!bound.ok) return { status: 'error', error: bound.error };
    const context = prepared.context;

    // Re-check everything at execution time: the workspace may have changed since approval.
    let judged: Judged;
    try {
      judged = await this.judge(tool, bound.call, context);
    } catch (err) {
      return { status: 'blocked', error: `Refused at execution time: the call could not be checked (${err instanceof Error ? err.message : String(err)}).` };
    }
    const { decision, judgement, ctx } = judged;
    if (decision.kind === 'block') return { status: 'blocked', error: `Refused at execution time: ${decision.reason}` };
    if (RANK[decision.kind] > RANK[prepared.decision.kind] && !authorizes(decision, authorization, this.grants)) {
      return { status: 'blocked', error: `Not run: the call now needs stronger approval than it got (${decision.reason}). Prepare it again.` };
    }
    if (judgement.invalid !== undefined) return { status: 'error', error: judgement.invalid };
    if (prepared.precondition !== undefined) {
      const now = judgement.precondition;
      if (now === undefined || now.path !== prepared.precondition.path || now.beforeHash !== prepared.precondition.beforeHash) {
        return { status: 'error', error: `${prepared.precondition.path} changed since approval; nothing was written. Read it again and retry.` };
      }
    }
    const admission = await this.breakers.admit(tool.name, context.breaker);
    if (!admission.ok) return { status: 'blocked', error: this.disabledMessage(tool.name, admission.retryAt) };

    const started = this.clock();
    let outcome: ToolOutcome;
    try {
      outcome = await this.limiter(tool.name).execute(() => bound.call.run(ctx, judgement, signal), signal);
    } catch (err) {
      outcome = { status: 'error', error: `${tool.name} failed: ${err instanceof Error ? err.message : String(err)}` };
    }
    const result = outcome.status === 'ok' ? 'success' : outcome.status === 'error' && !signal.aborted ? 'failure' : 'neutral';
    await this.breakers.settle(admission.claim, result, Math.max(0, this.clock() - started), context.breaker);
    return outcome;
  }

  async checkApplied(prepared: StoredCall): Promise<'applied' | 'not_applied' | 'changed'> {
    const pre = prepared.precondition;
    if (pre === undefined) return prepared.unverifiable ? 'changed' : 'not_applied';
    const data = await readIfExists(pre.path);
    const hash = data === null ? null : sha256(data);
    if (hash === pre.afterHash) return 'applied';
    if (hash === pre.beforeHash) return 'not_applied';
    return 'changed';
  }

  grant(grantKey: string): void {
    this.grants.add(grantKey);
  }

  stats(): ToolStats[] {
    return this.breakers.stats(this.tools.names());
  }

  sandboxStatus(settings: SandboxSettings = DEFAULT_SANDBOX_SETTINGS): SandboxStatus {
    return this.commands.status(settings);
  }

  reset(tool: string): boolean {
    if (this.tools.get(tool) === undefined) return false;
    this.breakers.reset(tool);
    return true;
  }

  /** Breaker state is recorded as it changes; kept for hosts that wait before exiting. */
  flush(): Promise<void> {
    return this.breakers.flush();
  }

  private async judge(tool: Tool, call: BoundCall, policy: ExecutionContext): Promise<Judged> {
    const ctx = this.context(policy);
    const judgement = await call.judge(ctx);
    const decision = decide({
      tool: tool.name,
      readOnly: tool.readOnly,
      readOnlyTools: this.tools.readOnlyNames(),
      trusted: this.options.host.trusted,
      agentTools: policy.agentTools,
      agentName: policy.agentName,
      restriction: judgement.restriction,
      autoApproved: judgement.autoApproved,
      grantKey: judgement.grantKey,
      grants: this.grants,
      ...(judgement.does !== undefined ? { does: judgement.does } : {}),
    });
    return { decision, judgement, ctx };
  }

  private context(policy: ExecutionContext): ToolContext {
    return {
      host: this.options.host,
      policy,
      sandbox: new WorkspaceSandbox({ folders: this.options.host.workspaceFolders, sandboxPaths: policy.sandboxPaths, ignoreRules: this.ignoreRules, storeRoots: this.storeRoots() }),
      ignoreRules: this.ignoreRules,
      cap: this.options.outputCap ?? DEFAULT_OUTPUT_CAP,
      autoApproveDomains: this.options.autoApproveDomains ?? [],
      allowMetadataAddresses: this.options.allowMetadataAddresses ?? false,
      commandTimeoutMs: this.options.commandTimeoutMs ?? 120_000,
      commands: this.commands,
    };
  }

  /** The run store and the old in-workspace layout: never reachable by a tool. */
  private storeRoots(): string[] {
    const host = this.options.host;
    const given = host.storeRoot;
    return [...(given !== undefined ? [given] : []), ...host.workspaceFolders.map((f) => path.join(f, '.breakwater', 'runs'))];
  }

  private limiter(tool: string): BulkheadPolicy {
    let l = this.limiters.get(tool);
    if (l === undefined) {
      l = bulkhead(this.options.concurrencyPerTool ?? 4, 64);
      this.limiters.set(tool, l);
    }
    return l;
  }

  private disabledMessage(tool: string, retryAt: number): string {
    const seconds = Math.max(1, Math.ceil((retryAt - this.clock()) / 1000));
    return `The ${tool} tool is temporarily disabled after repeated failures; retry after ${seconds} s.`;
  }
}

export type BreakwaterToolEngine = ToolEngine & { flush(): Promise<void>; reset(tool: string): boolean };

/** The approval gate, sandbox and per-tool breakers behind one `ToolEngine`. */
export function createToolEngine(options: ToolEngineOptions): BreakwaterToolEngine {
  return new DefaultToolEngine(options);
}
