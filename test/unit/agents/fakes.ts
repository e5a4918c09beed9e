import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import type { AgentRuntime } from '../../../src/core/agents/runtime';
import { createBreakwater, type Breakwater, type BreakwaterOptions } from '../../../src/core/breakwater';
import { parseConfigText } from '../../../src/core/config/loader';
import { NO_KEYS } from '../../../src/core/providers/keyBinding';
import type { BreakwaterConfig, ToolName } from '../../../src/core/config/schema';
import { ZERO_USAGE, type ChatRequest } from '../../../src/core/providers/types';
import type { ModelCallOptions, ModelGateway, ModelTarget, ModelTurn } from '../../../src/core/resilience/modelGateway';
import { sha256 } from '../../../src/core/runs/backups';
import { RunStore } from '../../../src/core/runs/runStore';
import { StoreLayout } from '../../../src/core/store/storeLayout';
import type { Authorization, PreparedCall, ToolEngine, ToolOutcome } from '../../../src/core/tools/types';

export type Scripted = { text?: string; calls?: { id: string; name: string; args: unknown }[] } | Error;

/** A gateway that answers from a per-agent script and records every request. */
export class FakeGateway implements ModelGateway {
  readonly requests: { target: ModelTarget; request: Omit<ChatRequest, 'model' | 'signal'>; options: ModelCallOptions }[] = [];
  constructor(private readonly scripts: Record<string, Scripted[]>) {}
  async call(target: ModelTarget, request: Omit<ChatRequest, 'model' | 'signal'>, options: ModelCallOptions): Promise<ModelTurn> {
    this.requests.push({ target, request, options });
    const next = this.scripts[options.agentName]?.shift();
    if (next === undefined) throw new Error(`no scripted answer for ${options.agentName}`);
    if (next instanceof Error) throw next;
    return {
      text: next.text ?? '',
      toolCalls: (next.calls ?? []).map((call) => ({ call })),
      usage: { ...ZERO_USAGE, inputTokens: 10, outputTokens: 5 },
      stopReason: next.calls?.length ? 'tool_use' : 'end_turn',
      provider: target.provider,
      model: target.model,
      costUsd: 0.001,
      attempts: 1,
    };
  }
}

/**
 * A tool engine with the contract's judgement: write/bash ask, a path starting with `secret` is
 * ask-every-time, `/etc` is blocked; write really writes under the workspace, bash appends a line to `bash.log`.
 */
export class FakeEngine implements ToolEngine {
  readonly executed: { callId: string; authorization: Authorization }[] = [];
  readonly grants: string[] = [];
  constructor(private readonly root: string) {}
  specs(tools: readonly ToolName[]) {
    return tools.map((name) => ({ name, description: name, parameters: z.object({}).loose() }));
  }
  async prepare(call: { id: string; name: string; args: unknown }): Promise<PreparedCall> {
    const args = call.args as { path?: string; content?: string; command?: string };
    const base = { callId: call.id, tool: call.name as ToolName, args: call.args, summary: `${call.name} ${args.path ?? args.command ?? ''}`.trim(), unverifiable: call.name === 'bash' };
    if (args.path?.startsWith('/etc')) return { ...base, decision: { kind: 'block', reason: 'outside the workspace' } };
    if (call.name === 'write') {
      const file = path.join(this.root, args.path ?? 'x');
      const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
      const decision = args.path?.startsWith('secret') ? { kind: 'ask_every_time' as const, reason: 'protected path' } : { kind: 'ask' as const, reason: 'writes a file', grantKey: 'write' };
      return { ...base, decision, previousContent: before, precondition: { path: file, beforeHash: before === null ? null : sha256(before), afterHash: sha256(args.content ?? '') } };
    }
    if (call.name === 'bash') return { ...base, decision: { kind: 'ask', reason: 'runs a command', grantKey: `bash:${args.command}` } };
    return { ...base, decision: { kind: 'allow', reason: 'read-only' } };
  }
  async execute(prepared: PreparedCall, authorization: Authorization): Promise<ToolOutcome> {
    this.executed.push({ callId: prepared.callId, authorization });
    const args = prepared.args as { path?: string; content?: string; command?: string };
    if (prepared.decision.kind === 'ask_every_time' && authorization.by !== 'user') return { status: 'blocked', error: 'needs the user' };
    if (prepared.tool === 'write') {
      fs.writeFileSync(path.join(this.root, args.path ?? 'x'), args.content ?? '');
      return { status: 'ok', output: 'written', truncated: false };
    }
    if (prepared.tool === 'bash') {
      fs.appendFileSync(path.join(this.root, 'bash.log'), `${args.command}\n`);
      return { status: 'ok', output: 'ran', truncated: false };
    }
    return { status: 'ok', output: `read ${args.path ?? ''}`, truncated: false };
  }
  async checkApplied(prepared: PreparedCall): Promise<'applied' | 'not_applied' | 'changed'> {
    const p = prepared.precondition!;
    const now = fs.existsSync(p.path) ? sha256(fs.readFileSync(p.path, 'utf8')) : null;
    return now === p.afterHash ? 'applied' : now === p.beforeHash ? 'not_applied' : 'changed';
  }
  grant(key: string) {
    this.grants.push(key);
  }
  stats() {
    return [];
  }
}

export function makeRuntime(yaml: string, scripts: Record<string, Scripted[]>, extra: Partial<AgentRuntime> = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-agents-'));
  const config: BreakwaterConfig = parseConfigText(yaml);
  const layout = new StoreLayout(path.join(root, '.breakwater', 'runs'));
  const gateway = new FakeGateway(scripts);
  const engine = new FakeEngine(root);
  const rt: AgentRuntime = {
    config: () => config,
    configHash: () => 'test',
    gateway,
    tools: engine,
    store: new RunStore(layout),
    facts: { workspaceFolders: [root], trusted: true, platform: 'linux' },
    ...extra,
  };
  return { rt, root, gateway, engine, layout };
}

/**
 * The real composition root over the scripted gateway and fake tool engine of `makeRuntime`, with the
 * agents file written where it reads it. `extra` adds options (an approver, a crash hook…).
 */
export async function openTestBreakwater(yaml: string, scripts: Record<string, Scripted[]>, extra: Partial<BreakwaterOptions> = {}) {
  const made = makeRuntime(yaml, scripts);
  const configFile = path.join(made.root, 'agents.yaml');
  fs.writeFileSync(configFile, yaml);
  const bw: Breakwater = await createBreakwater({
    workspaceFolders: [made.root],
    storeDir: made.layout.root,
    configFile,
    secrets: NO_KEYS,
    trusted: true,
    ripgrepPath: 'rg',
    gateway: made.rt.gateway,
    toolEngine: made.rt.tools,
    ...extra,
  });
  return { bw, ...made };
}
