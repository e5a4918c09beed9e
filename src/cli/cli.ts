import * as fs from 'node:fs';
import * as path from 'node:path';
import { createBreakwater, type Breakwater, type BreakwaterOptions, type RunState, type TaskResult } from '../core/breakwater';
import { UnknownAgentError } from '../core/agents/agentRunner';
import { yesFlagApprover, type Approver } from '../core/agents/approvals';
import { UnknownTaskError } from '../core/agents/orchestrator';
import { isConfigError } from '../core/config/configError';
import type { RunEvent } from '../core/runs/events';
import { isRunLockedError, isRunLogCorruptError, isWrongRunKindError } from '../core/runs/runLogErrors';
import { isStateUnavailableError } from '../core/state/sharedState';
import { isStoreWriteError, storeFaultCode as storeFault } from '../core/store/storeFaults';
import { parseCliArgs, UsageError, type CliArgs } from './args';
import { crashHookFromEnv } from './crashHook';
import { envSecrets } from './envSecrets';
import { outcomeJson, runJson, taskJson } from './runJson';
import { terminalApprover } from './terminalApprover';

/** Exit codes (PRODUCT.md): 0 completed · 1 failed · 2 usage or config error · 3 waiting_on_human. */
export const EXIT = { completed: 0, failed: 1, usage: 2, waiting: 3 } as const;

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly stdinIsTTY: boolean;
  readonly stdin?: NodeJS.ReadableStream;
  /** Cancels the work (SIGINT in main.ts). */
  readonly signal?: AbortSignal;
}

/** Test seam: build the core with extra options (a fake gateway or tool engine). */
export interface CliDeps {
  readonly overrides?: Partial<BreakwaterOptions>;
}

export const USAGE = `usage: breakwater [--config FILE] [--workspace DIR] [--store DIR] [--json] [--yes]
  --status | --agents | --health | --runs
  --agent NAME --prompt TEXT
  --all --prompt TEXT                 all agents in parallel
  --task NAME [--prompt TEXT]
  --resume RUN_ID
  --approve RUN_ID [--call CALL_ID]   approve pending call(s), then continue the run
  --deny RUN_ID [--call CALL_ID] [--reason TEXT]
  (a task's run id, or one of its steps' run ids, continues the task; in a task a denial fails the step)
exit codes: 0 completed · 1 failed · 2 usage or config error · 3 waiting_on_human
`;

export async function runCli(argv: readonly string[], io: CliIo, deps: CliDeps = {}): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`breakwater: ${e.message}\n${USAGE}`);
      return EXIT.usage;
    }
    throw e;
  }
  if (args.command.kind === 'help') {
    io.stdout.write(USAGE);
    return EXIT.completed;
  }
  const workspace = path.resolve(io.cwd, args.workspace ?? '.');
  if (!isDir(workspace)) return usage(io, `--workspace ${workspace} is not a folder; pass an existing directory`);
  const configFile = args.config ? path.resolve(io.cwd, args.config) : path.join(workspace, '.breakwater', 'agents.yaml');
  if (args.config && !fs.existsSync(configFile)) return usage(io, `--config ${configFile} does not exist; fix the path, or omit --config to use ${path.join(workspace, '.breakwater', 'agents.yaml')}`);
  const storeDir = args.store ? path.resolve(io.cwd, args.store) : path.join(workspace, '.breakwater', 'runs');

  let approver: Approver | undefined = io.stdinIsTTY && io.stdin ? terminalApprover(io.stdin, io.stderr) : undefined;
  if (args.yes) approver = yesFlagApprover(approver);
  const progress = (runId: string, e: RunEvent) => io.stderr.write(progressLine(runId, e));
  let bw: Breakwater;
  try {
    bw = await createBreakwater({
      workspaceFolders: [workspace],
      storeDir,
      configFile,
      secrets: envSecrets(io.env),
      trusted: true,
      ripgrepPath: io.env.BREAKWATER_RG_PATH ?? 'rg',
      env: io.env,
      onDiscard: (runId, agent, partial, reason) =>
        io.stderr.write(`↺ ${runId.slice(-6)} ${agent}: the answer broke off mid-stream (${reason}); discarding ${partial.length} characters and asking again\n`),
      ...(approver ? { approver } : {}),
      ...(crashHookFromEnv(io.env) ? { onDurable: crashHookFromEnv(io.env) } : {}),
      ...deps.overrides,
    });
  } catch (e) {
    if (isConfigError(e)) return usage(io, e.message, false);
    if (isStoreWriteError(e) || isStateUnavailableError(e)) return failed(io, e);
    throw e;
  }
  const sub = bw.onRunEvent(({ runId, event }) => progress(runId, event));
  const warn = bw.onWarning(({ message }) => io.stderr.write(`! ${message}\n`));
  let code: number;
  try {
    code = await execute(bw, args, io);
  } catch (e) {
    if (e instanceof UsageError || e instanceof UnknownAgentError || e instanceof UnknownTaskError || isConfigError(e) || isNotARun(e) || isWrongRunKindError(e)) code = usage(io, (e as Error).message, false);
    else if (isRunLockedError(e) || isRunLogCorruptError(e) || isStoreWriteError(e) || isStateUnavailableError(e)) code = failed(io, e as Error);
    else if (e instanceof Error && e.name === 'NothingPendingError') code = usage(io, e.message, false);
    else {
      await closeQuietly(bw, sub, warn);
      throw e;
    }
  }
  try {
    await bw.flush();
  } catch (e) {
    // Part of the record (costs, the audit ledger) could not be written: the run must not look complete.
    if (!isStoreWriteError(e) && storeFault(e) === undefined) throw e;
    code = failed(io, isStoreWriteError(e) ? e : new Error(`could not record everything in ${bw.layout.root}: ${(e as Error).message}`));
  } finally {
    await closeQuietly(bw, sub, warn);
  }
  return code;
}

function failed(io: CliIo, e: Error): number {
  io.stderr.write(`breakwater: ${e.message}\n`);
  return EXIT.failed;
}

async function closeQuietly(bw: Breakwater, ...subs: { dispose(): void }[]): Promise<void> {
  for (const s of subs) s.dispose();
  bw.dispose();
}

async function execute(bw: Breakwater, args: CliArgs, io: CliIo): Promise<number> {
  const signal = io.signal ?? new AbortController().signal;
  const out = (value: unknown, human: string) => io.stdout.write(args.json ? `${JSON.stringify(value, null, 2)}\n` : human);
  const pendingOf = (s: RunState) => bw.pendingApprovals(s.runId).map((p) => p.approval);
  const runResult = (s: RunState) => {
    const json = runJson(s, pendingOf(s));
    out(json, humanRun(json));
    return json.status === 'completed' ? EXIT.completed : json.status === 'waiting_on_human' ? EXIT.waiting : EXIT.failed;
  };
  const taskResult = (r: TaskResult) => {
    const json = taskJson(r, pendingOf);
    out(json, `task ${r.task}: ${json.status} (task run ${r.taskRunId})\n\n${json.steps.map(humanRun).join('\n')}`);
    return json.status === 'completed' ? EXIT.completed : json.status === 'waiting_on_human' ? EXIT.waiting : EXIT.failed;
  };
  /** What continuing `runId` continued: its task when it is (a step of) one, else the run itself. */
  const continued = (runId: string, s: RunState) => {
    const taskRun = bw.taskRunOf(runId);
    return taskRun === undefined ? runResult(s) : taskResult(bw.taskResult(taskRun));
  };
  const cmd = args.command;
  switch (cmd.kind) {
    case 'help':
      return EXIT.completed;
    case 'agents': {
      const cfg = bw.config();
      const agents = Object.fromEntries(
        Object.entries(cfg.agents).map(([n, a]) => [n, { provider: a.provider ?? cfg.settings.default_provider, model: a.model ?? cfg.settings.default_model, tools: a.tools, servers: a.servers }]),
      );
      out({ agents, tasks: Object.keys(cfg.tasks) }, Object.entries(agents).map(([n, a]) => `${n}: ${a.provider}/${a.model}\n  tools: ${a.tools.join(', ') || 'none'}\n`).join(''));
      return EXIT.completed;
    }
    case 'status': {
      const s = bw.status();
      const retry = (at?: string) => (at === undefined ? '' : `, retry at ${at}`);
      const rate = (r?: { used: number; limit: number; queued: number }) => (r === undefined ? '' : `, ${r.used}/${r.limit} requests this minute${r.queued > 0 ? `, ${r.queued} waiting` : ''}`);
      out(
        s,
        `providers (shared: ${s.state.backend} ${s.state.location}):\n${s.breakers.providers.map((b) => `  ${b.name}: ${b.state} (${b.calls} calls, ${b.failures} failures${rate(b.rate_limit)}${retry(b.retry_at)})\n`).join('') || '  (no agent uses a provider)\n'}tools:\n${s.breakers.tools.map((b) => `  ${b.name}: ${b.state} (${b.calls} calls${retry(b.retry_at)})\n`).join('')}cost: $${s.costs.total_usd.toFixed(4)}${s.costs.budget.budget_usd === null ? '' : ` of $${s.costs.budget.budget_usd}`}\nruns: ${s.runs.length}\n`,
      );
      return EXIT.completed;
    }
    case 'health': {
      const h = await bw.health({ signal });
      out(h, Object.entries(h.agents).map(([n, a]) => `${a.ok ? '✓' : '✗'} ${n} (${a.provider}/${a.model}) ${a.ms} ms, breaker ${a.breaker}${a.error ? `: ${a.error}` : ''}\n`).join(''));
      return h.healthy ? EXIT.completed : EXIT.failed;
    }
    case 'runs': {
      const runs = bw.status().runs;
      out({ runs }, runs.map((r) => `${r.run_id}  ${r.status.padEnd(16)} ${r.agent}  ${r.updated_at}\n`).join('') || '(no runs)\n');
      return EXIT.completed;
    }
    case 'ask':
      return runResult(await bw.ask(cmd.agent, cmd.prompt, { signal }));
    case 'resume':
      assertRun(bw, cmd.runId);
      if (bw.taskRunOf(cmd.runId) === cmd.runId) return taskResult(await bw.resumeTask(cmd.runId, { signal }));
      return continued(cmd.runId, await bw.resume(cmd.runId, { signal }));
    case 'approve':
      assertRun(bw, cmd.runId);
      return continued(cmd.runId, await bw.approve(cmd.runId, cmd.callId, { signal }));
    case 'deny':
      assertRun(bw, cmd.runId);
      return continued(cmd.runId, await bw.deny(cmd.runId, cmd.callId, cmd.reason, { signal }));
    case 'all': {
      const results = await bw.askAll(cmd.prompt, { signal });
      const json = Object.fromEntries([...results].map(([name, o]) => [name, outcomeJson(o, pendingOf)]));
      out({ results: json }, Object.values(json).map(humanRun).join('\n'));
      const statuses = Object.values(json).map((r) => r.status);
      return statuses.includes('failed') ? EXIT.failed : statuses.includes('waiting_on_human') ? EXIT.waiting : EXIT.completed;
    }
    case 'task':
      return taskResult(await bw.runTask(cmd.task, cmd.prompt, { signal }));
  }
}

function assertRun(bw: Breakwater, runId: string): void {
  if (!bw.listRuns().some((r) => r.runId === runId)) throw new NotARunError(`no run ${runId} in ${bw.layout.root}; list runs with --runs (and check --store)`);
}

class NotARunError extends Error {
  override name = 'NotARunError';
}
function isNotARun(e: unknown): boolean {
  return e instanceof NotARunError || (e instanceof Error && /is not a run id/.test(e.message));
}

function usage(io: CliIo, message: string, showUsage = true): number {
  io.stderr.write(`breakwater: ${message}\n${showUsage ? USAGE : ''}`);
  return EXIT.usage;
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function humanRun(r: ReturnType<typeof runJson>): string {
  const lines = [`[${r.agent}] ${r.status}${r.run_id ? ` (run ${r.run_id})` : ''}`];
  if (r.output) lines.push('', r.output);
  if (r.error) lines.push('', `error: ${r.error}`);
  for (const p of r.pending_approvals) lines.push(`  waiting: ${p.call_id} ${p.summary}  → --approve ${r.run_id} --call ${p.call_id}`);
  return `${lines.join('\n')}\n`;
}

/** One line of progress on stderr per notable event. */
function progressLine(runId: string, e: RunEvent): string {
  const id = runId.slice(-6);
  switch (e.type) {
    case 'run_started':
      return `· ${id} ${e.payload.agent}: started\n`;
    case 'llm_call_started':
      return `· ${id} calling ${e.payload.provider}/${e.payload.model}…\n`;
    case 'llm_call_failed':
      return `! ${id} ${e.payload.kind}: ${e.payload.message}\n`;
    case 'tool_call_requested':
      return `· ${id} tool ${e.payload.tool}\n`;
    case 'approval_requested':
      return `? ${id} needs approval: ${e.payload.summary} (call ${e.payload.call_id})${e.payload.may_have_run ? ' — it started before an interruption and may already have run' : ''}\n`;
    case 'tool_call_failed':
      return `! ${id} ${e.payload.status}: ${e.payload.error}\n`;
    case 'fallback_used':
      return `· ${id} fallback ${e.payload.strategy}: ${e.payload.detail}\n`;
    case 'run_paused':
      return `⏸ ${id} waiting on a human: ${e.payload.reason}\n`;
    case 'run_completed':
      return `✓ ${id} completed\n`;
    case 'run_failed':
      return `✗ ${id} failed: ${e.payload.error}\n`;
    case 'task_started':
      return `▶ task ${e.payload.task} (task run ${runId}): ${e.payload.steps.length} steps\n`;
    case 'task_step_started':
      return `▶ ${id} step ${e.payload.index + 1}: ${e.payload.agent} (run ${e.payload.run_id})\n`;
    case 'task_step_finished':
      return `${e.payload.status === 'completed' ? '✓' : '✗'} ${id} step ${e.payload.index + 1} ${e.payload.status}${e.payload.error ? `: ${e.payload.error}` : ''}\n`;
    case 'task_paused':
      return `⏸ task run ${runId} waiting on a human: ${e.payload.reason} → --approve ${runId} or --deny ${runId}\n`;
    case 'task_completed':
      return `✓ task run ${runId} completed\n`;
    case 'task_failed':
      return `✗ task run ${runId} failed: ${e.payload.error}\n`;
    default:
      return '';
  }
}
