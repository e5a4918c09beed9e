import * as path from 'node:path';
import { bulkhead, type BulkheadPolicy } from 'cockatiel';
import { z } from 'zod';
import type { Emitter } from '../common/event';
import type { CoreEvent } from '../common/coreEvents';
import { visibleText } from '../common/visibleText';
import type { ToolName } from '../config/schema';
import type { ToolCallRequest, ToolSpec } from '../providers/types';
import { decide } from '../sandbox/approvalPolicy';
import { CommandSandbox, DEFAULT_SANDBOX_SETTINGS, type SandboxSettings, type SandboxStatus } from '../sandbox/commandSandbox';
import { IgnoreRules } from '../sandbox/ignoreRules';
import { WorkspaceSandbox } from '../sandbox/workspaceSandbox';
import type { SharedState } from '../state/sharedState';
import { bashTool, sshTool } from './commandTools';
import { readIfExists, sha256 } from './fileHashes';
import { editTool, readTool, writeTool } from './fileTools';
import { httpTool } from './httpTool';
import { DEFAULT_OUTPUT_CAP, type OutputCap } from './outputCap';
import { globTool, grepTool, listDirTool } from './searchTools';
import { ToolBreakers } from './toolBreakers';
import type { ToolContext, ToolDefinition, ToolJudgement } from './toolDefinition';
import type { Authorization, Decision, ExecutionContext, PreparedCall, ToolEngine, ToolHost, ToolOutcome, ToolScope, ToolStats } from './types';

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
}

// The definitions are generic in their argument type; the engine only calls them with schema-parsed args.
const DEFINITIONS: Record<Exclude<ToolName, 'delegate'>, ToolDefinition<never>> = {
  read: readTool as ToolDefinition<never>,
  write: writeTool as ToolDefinition<never>,
  edit: editTool as ToolDefinition<never>,
  list_dir: listDirTool as ToolDefinition<never>,
  glob: globTool as ToolDefinition<never>,
  grep: grepTool as ToolDefinition<never>,
  bash: bashTool as ToolDefinition<never>,
  http_request: httpTool as ToolDefinition<never>,
  ssh: sshTool as ToolDefinition<never>,
};
const ENGINE_TOOLS = Object.keys(DEFINITIONS) as (keyof typeof DEFINITIONS)[];
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
    agentTools: scope.agent.tools,
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

class DefaultToolEngine implements ToolEngine {
  private readonly grants = new Set<string>();
  private readonly ignoreRules = new IgnoreRules();
  private readonly breakers: ToolBreakers;
  private readonly limiters = new Map<string, BulkheadPolicy>();
  private readonly clock: () => number;
  private readonly commands: CommandSandbox;

  constructor(private readonly options: ToolEngineOptions) {
    this.clock = options.clock ?? Date.now;
    this.commands = options.sandbox ?? new CommandSandbox();
    this.breakers = new ToolBreakers({ clock: this.clock, events: options.events, state: options.state, probeMaxMs: options.commandTimeoutMs ?? 120_000, onError: options.onError });
  }

  specs(tools: readonly ToolName[]): ToolSpec[] {
    return tools.filter((t): t is keyof typeof DEFINITIONS => t in DEFINITIONS).map((t) => ({ name: t, description: DEFINITIONS[t].description, parameters: DEFINITIONS[t].schema }));
  }

  async prepare(call: ToolCallRequest, scope: ToolScope): Promise<PreparedCall> {
    const prepared = await this.prepareCall(call, scope);
    // Summaries and reasons are shown to the person who decides and kept in the run log: nothing in
    // them (ANSI escapes, \r, bidi overrides, zero-width characters) may hide part of the call.
    return { ...prepared, summary: visibleText(prepared.summary), decision: { ...prepared.decision, reason: visibleText(prepared.decision.reason) } };
  }

  private async prepareCall(call: ToolCallRequest, scope: ToolScope): Promise<PreparedCall> {
    const context = executionContextOf(scope);
    const base = { callId: call.id, tool: call.name as ToolName, args: call.args, context };
    const def = call.name in DEFINITIONS ? DEFINITIONS[call.name as keyof typeof DEFINITIONS] : undefined;
    if (def === undefined) {
      return { ...base, decision: { kind: 'allow', reason: 'unknown tool' }, summary: `${call.name} (unknown)`, unverifiable: false, invalid: `Unknown tool "${call.name}". Available tools: ${ENGINE_TOOLS.join(', ')}.` };
    }
    const parsed = def.schema.safeParse(call.args);
    if (!parsed.success) {
      return { ...base, decision: { kind: 'allow', reason: 'invalid arguments' }, summary: `${call.name} (invalid arguments)`, unverifiable: def.unverifiable, invalid: `Invalid arguments for ${call.name}: ${z.prettifyError(parsed.error)}` };
    }
    const open = this.breakers.peek(def.name, context.breaker);
    if (!open.ok) {
      return { ...base, args: parsed.data, decision: { kind: 'block', reason: this.disabledMessage(def.name, open.retryAt) }, summary: `${def.name} (temporarily disabled)`, unverifiable: def.unverifiable };
    }
    let judged: Judged;
    try {
      judged = await this.judge(def, parsed.data, context);
    } catch (err) {
      // Fail closed: a call that cannot be checked does not run.
      return { ...base, args: parsed.data, decision: { kind: 'block', reason: `the call could not be checked: ${err instanceof Error ? err.message : String(err)}` }, summary: def.name, unverifiable: def.unverifiable };
    }
    const { decision, judgement } = judged;
    const asks = decision.kind === 'ask' || decision.kind === 'ask_every_time';
    return {
      ...base,
      args: parsed.data,
      decision: judgement.invalid !== undefined && decision.kind !== 'block' ? { kind: 'allow', reason: 'the call is answered with an error' } : decision,
      summary: judgement.summary,
      unverifiable: def.unverifiable,
      ...(asks && judgement.approval !== undefined && judgement.invalid === undefined ? { approval: judgement.approval } : {}),
      ...(judgement.precondition !== undefined ? { precondition: judgement.precondition } : {}),
      ...(judgement.previousContent !== undefined ? { previousContent: judgement.previousContent } : {}),
      ...(judgement.invalid !== undefined && decision.kind !== 'block' ? { invalid: judgement.invalid } : {}),
    };
  }

  async execute(prepared: PreparedCall, authorization: Authorization, signal: AbortSignal): Promise<ToolOutcome> {
    if (prepared.decision.kind === 'block') return { status: 'blocked', error: prepared.decision.reason };
    if (prepared.invalid !== undefined) return { status: 'error', error: prepared.invalid };
    if (!authorizes(prepared.decision, authorization, this.grants)) {
      return { status: 'blocked', error: `Not run: this call needs ${prepared.decision.kind === 'ask_every_time' ? 'the user to approve this very call' : 'approval'} (${prepared.decision.reason}).` };
    }
    const def = prepared.tool in DEFINITIONS ? DEFINITIONS[prepared.tool as keyof typeof DEFINITIONS] : undefined;
    if (def === undefined || prepared.context === undefined) return { status: 'error', error: 'This call was prepared without its policy context; prepare it again.' };
    const parsed = def.schema.safeParse(prepared.args);
    if (!parsed.success) return { status: 'error', error: `Invalid arguments for ${def.name}: ${z.prettifyError(parsed.error)}` };
    const context = prepared.context;

    // Re-check everything at execution time: the workspace may have changed since approval.
    let judged: Judged;
    try {
      judged = await this.judge(def, parsed.data, context);
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
    const admission = await this.breakers.admit(def.name, context.breaker);
    if (!admission.ok) return { status: 'blocked', error: this.disabledMessage(def.name, admission.retryAt) };

    const started = this.clock();
    let outcome: ToolOutcome;
    try {
      outcome = await this.limiter(def.name).execute(() => def.run(parsed.data, ctx, judgement, signal), signal);
    } catch (err) {
      outcome = { status: 'error', error: `${def.name} failed: ${err instanceof Error ? err.message : String(err)}` };
    }
    const result = outcome.status === 'ok' ? 'success' : outcome.status === 'error' && !signal.aborted ? 'failure' : 'neutral';
    await this.breakers.settle(admission.claim, result, Math.max(0, this.clock() - started), context.breaker);
    return outcome;
  }

  async checkApplied(prepared: PreparedCall): Promise<'applied' | 'not_applied' | 'changed'> {
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
    return this.breakers.stats(ENGINE_TOOLS);
  }

  sandboxStatus(settings: SandboxSettings = DEFAULT_SANDBOX_SETTINGS): SandboxStatus {
    return this.commands.status(settings);
  }

  reset(tool: string): boolean {
    if (!(ENGINE_TOOLS as readonly string[]).includes(tool)) return false;
    this.breakers.reset(tool);
    return true;
  }

  /** Breaker state is recorded as it changes; kept for hosts that wait before exiting. */
  flush(): Promise<void> {
    return this.breakers.flush();
  }

  private async judge(def: ToolDefinition<never>, args: never, policy: ExecutionContext): Promise<Judged> {
    const ctx = this.context(policy);
    const judgement = await def.judge(args, ctx);
    const decision = decide({
      tool: def.name as ToolName,
      trusted: this.options.host.trusted,
      agentTools: policy.agentTools,
      agentName: policy.agentName,
      restriction: judgement.restriction,
      autoApproved: judgement.autoApproved,
      grantKey: judgement.grantKey,
      grants: this.grants,
      ...(judgement.approval !== undefined ? { subject: judgement.approval } : {}),
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
