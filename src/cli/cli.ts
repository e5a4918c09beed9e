import * as fs from 'node:fs';
import * as path from 'node:path';
import { createBreakwater, isNothingPendingError, outcomeOf, type Breakwater, type BreakwaterOptions, type BreakwaterStatus, type OperationHandle, type RunState, type RunSummary, type TaskResult } from '../core/breakwater';
import { runRow } from '../core/agents/statusReport';
import { exitCodeOf } from '../core/runs/outcome';
import { isNoSuchRunError } from '../core/runs/runLogErrors';
import { isNotARunIdError, isRepairError } from '../core/runs/runStore';
import { UnknownAgentError } from '../core/agents/agentRunner';
import { yesFlagApprover, type Approver } from '../core/agents/approvals';
import { UnknownTaskError } from '../core/agents/orchestrator';
import { isConfigError } from '../core/config/configError';
import { configStatus, type ConfigStatus } from '../core/config/configStatus';
import type { LoadedConfig } from '../core/config/loader';
import { loadScopedConfig } from '../core/config/scopedLoader';
import { TrustFile } from '../core/config/trustStore';
import { trustStorePath, userConfigPath } from '../core/config/userScope';
import type { RunEvent } from '../core/runs/events';
import { isRunLockedError, isRunLogConflictError, isRunLogCorruptError, isWrongRunKindError, RunLogCorruptError } from '../core/runs/runLogErrors';
import { isStateUnavailableError } from '../core/state/sharedState';
import { isStoreWriteError, storeFaultCode as storeFault } from '../core/store/storeFaults';
import { parseCliArgs, UsageError, type CliArgs } from './args';
import { crashHookFromEnv, lockHookFromEnv } from './crashHook';
import { envSecrets } from './envSecrets';
import { outcomeJson, runJson, taskJson } from './runJson';
import { chooseStore, migrateLegacyStore } from './storeLocation';
import { terminalApprover } from './terminalApprover';
import { refusal, runTrustConfig, unconfirmedNotice, unconfirmedOf, type TrustCommandLine } from './trustConfig';

/** Exit codes (README, "CLI"; part of the interface): 0 completed · 1 failed · 2 usage or config error · 3 waiting_on_human · 130 cancelled (Ctrl-C; resumable). */
export const EXIT = { completed: 0, failed: 1, usage: 2, waiting: 3, cancelled: 130 } as const;

/** Commands that send nothing anywhere: they run (and show what is unconfirmed) while workspace values await confirmation. */
const READ_ONLY: ReadonlySet<CliArgs['command']['kind']> = new Set(['help', 'status', 'agents', 'runs']);

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
  --trust-config                      show the workspace's sensitive values and confirm them (--yes: no prompt)
  --repair RUN_ID                     cut a damaged run log before its bad line (the rest is saved aside), then --resume it
  --archive RUN_ID                    move a run's log out of the store's listings
  (a task's run id, or one of its steps' run ids, continues the task; in a task a denial fails the step;
   --resume continues an interrupted run: crashed, cancelled, or stopped by a transient failure)
exit codes: 0 completed · 1 failed · 2 usage or config error · 3 waiting_on_human · 130/143/129 stopped by SIGINT/SIGTERM/SIGHUP (resumable)
store: --store, else $BREAKWATER_STORE, else $XDG_STATE_HOME/breakwater/<workspace hash> (~/.local/state/breakwater/…)
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
  // User scope: the user's own agents file, and the record of what the user confirmed of each workspace's file.
  const trustFile = await TrustFile.open(trustStorePath(io.env), { onWarning: (m) => io.stderr.write(`! ${m}\n`) });
  const trustLine: TrustCommandLine = { workspace, ...(args.config ? { config: configFile } : {}) };
  const userConfigFile = userConfigPath(io.env);
  // The config first, on its own: --trust-config and the refusal of unconfirmed values need no store, no sandbox, no
  // shared state, and nothing is started (not even --health) while a workspace value the user has not seen is unconfirmed.
  let loaded: LoadedConfig;
  try {
    loaded = await loadScopedConfig({ userFile: userConfigFile, workspaceFile: configFile, folder: workspace, trust: { kind: 'trusted', confirmations: trustFile }, env: io.env });
  } catch (e) {
    if (isConfigError(e)) return usage(io, e.message, false);
    throw e;
  }
  if (args.command.kind === 'trust-config') return runTrustConfig(loaded, trustFile, { yes: args.yes, json: args.json, line: trustLine }, io);
  const unconfirmed = unconfirmedOf(loaded);
  if (unconfirmed.length > 0 && !READ_ONLY.has(args.command.kind)) {
    io.stderr.write(refusal(unconfirmed, loaded, trustLine));
    return EXIT.usage;
  }

  const store = chooseStore(workspace, args.store, io.cwd, io.env);
  const storeDir = store.dir;
  if (store.from === 'default') {
    const moved = migrateLegacyStore(workspace, storeDir);
    if (moved.kind === 'moved') io.stderr.write(`breakwater: moved the run store out of the workspace, from ${moved.from} to ${moved.to}\n`);
    if (moved.kind === 'both_exist') io.stderr.write(`breakwater: ${moved.from} holds runs from before the store moved to ${moved.to}, which already exists; nothing was moved. Pass --store ${moved.from} to use those runs, or move them by hand.\n`);
  }
  let approver: Approver | undefined = io.stdinIsTTY && io.stdin ? terminalApprover(io.stdin, io.stderr) : undefined;
  if (args.yes) approver = yesFlagApprover(approver);
  let bw: Breakwater;
  try {
    bw = await createBreakwater({
      workspaceFolders: [workspace],
      storeDir,
      configFile,
      userConfigFile,
      confirmations: trustFile,
      trustFolder: workspace,
      loadedConfig: loaded,
      secrets: envSecrets(io.env),
      trusted: true,
      ripgrepPath: io.env.BREAKWATER_RG_PATH ?? 'rg',
      env: io.env,
      ...(approver ? { approver } : {}),
      ...(crashHookFromEnv(io.env) ? { onDurable: crashHookFromEnv(io.env) } : {}),
      ...(lockHookFromEnv(io.env) ? { onLockStep: lockHookFromEnv(io.env) } : {}),
      ...deps.overrides,
    });
  } catch (e) {
    if (isConfigError(e)) return usage(io, e.message, false);
    if (isStoreWriteError(e) || isStateUnavailableError(e)) return failed(io, e);
    throw e;
  }
  io.stderr.write(unconfirmedNotice(unconfirmed, trustLine));
  const warn = bw.onWarning(({ message }) => io.stderr.write(`! ${message}\n`));
  let code: number;
  try {
    code = await execute(bw, args, io);
  } catch (e) {
    if (e instanceof UsageError || e instanceof UnknownAgentError || e instanceof UnknownTaskError || isConfigError(e) || isNotARunIdError(e) || isNoSuchRunError(e) || isWrongRunKindError(e)) code = usage(io, e.message, false);
    else if (isRunLogCorruptError(e)) {
      io.stderr.write(`breakwater: ${damagedHelp(e.file, e.line, e.detail, runIdOf(args))}`);
      code = EXIT.failed;
    } else if (isRunLockedError(e) || isRepairError(e) || isRunLogConflictError(e) || isStoreWriteError(e) || isStateUnavailableError(e)) code = failed(io, e);
    else if (isNothingPendingError(e)) code = usage(io, e.message, false);
    else {
      await closeQuietly(bw, warn);
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
    await closeQuietly(bw, warn);
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
  /** The operation's progress on stderr: its events, and the text it discards when a stream breaks. */
  const shown = <H extends OperationHandle<unknown>>(handle: H): H => {
    handle.onEvent(({ runId, event }) => io.stderr.write(progressLine(runId, event)));
    handle.onDiscard(({ runId, agent, partialText, reason }) =>
      io.stderr.write(`↺ ${runId.slice(-6)} ${agent}: the answer broke off mid-stream (${reason}); discarding ${partialText.length} characters and asking again\n`),
    );
    return handle;
  };
  const out = (value: unknown, human: string) => io.stdout.write(args.json ? `${JSON.stringify(value, null, 2)}\n` : human);
  // Only a paused run has pending approvals to look up (delegates included): no other run is read again.
  const pendingOf = (s: RunState) => (s.status === 'waiting_on_human' ? bw.pendingApprovals(s.runId).map((p) => p.approval) : []);
  const runResult = (s: RunState) => {
    const json = runJson(s, pendingOf(s));
    out(json, humanRun(json));
    return exitCodeOf(outcomeOf(s));
  };
  const taskResult = (r: TaskResult) => {
    const json = taskJson(r, pendingOf);
    const o = outcomeOf(r);
    out(json, `task ${r.task}: ${o.shown} (task run ${r.taskRunId})${o.resumable && o.status === 'failed' ? ` — ${o.error ?? ''}; continue it with --resume ${r.taskRunId}` : ''}\n\n${json.steps.map(humanRun).join('\n')}`);
    return exitCodeOf(o);
  };
  /** What continuing `runId` continued: its task when it is (a step of) one, else the run itself. */
  const continued = (runId: string, s: RunState) => {
    const taskRun = bw.taskRunOf(runId);
    return taskRun === undefined ? runResult(s) : taskResult(bw.taskResult(taskRun));
  };
  const cmd = args.command;
  switch (cmd.kind) {
    case 'help':
    case 'trust-config':
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
      const status = bw.status();
      const s = { ...status, config: { ...(status.config ?? configStatus(bw.loadedConfig())), keys: await bw.keySources() } };
      const counts = Object.entries(s.run_counts).filter(([k, n]) => k !== 'total' && n > 0).map(([k, n]) => `${n} ${k}`).join(', ');
      const retry = (at?: string) => (at === undefined ? '' : `, retry at ${at}`);
      const rate = (r?: { used: number; limit: number; queued: number }) => (r === undefined ? '' : `, ${r.used}/${r.limit} requests this minute${r.queued > 0 ? `, ${r.queued} waiting` : ''}`);
      out(
        s,
        `${humanConfig(s.config)}providers (shared: ${s.state.backend} ${s.state.location}):\n${s.breakers.providers.map((b) => `  ${b.name}: ${b.state} (${b.calls} calls, ${b.failures} failures${rate(b.rate_limit)}${retry(b.retry_at)})\n`).join('') || '  (no agent uses a provider)\n'}tools:\n${s.breakers.tools.map((b) => `  ${b.name}: ${b.state} (${b.calls} calls${retry(b.retry_at)})\n`).join('')}cost: $${s.costs.total_usd.toFixed(4)}${s.costs.budget.budget_usd === null ? '' : ` of $${s.costs.budget.budget_usd}`}\nruns: ${s.run_counts.total}${counts ? ` (${counts})` : ''}\n${sandboxLine(s.sandbox)}`,
      );
      return EXIT.completed;
    }
    case 'health': {
      const h = await bw.health({ signal });
      out(h, Object.entries(h.agents).map(([n, a]) => `${a.ok ? '✓' : '✗'} ${n} (${a.provider}/${a.model}) ${a.ms} ms, breaker ${a.breaker}${a.error ? `: ${a.error}` : ''}\n`).join(''));
      return h.healthy ? EXIT.completed : EXIT.failed;
    }
    case 'runs': {
      const runs = bw.listRuns();
      out({ runs: runs.map(runRow) }, runs.map(humanRunRow).join('') || '(no runs)\n');
      return EXIT.completed;
    }
    case 'ask':
      return runResult(await shown(bw.ask(cmd.agent, cmd.prompt, { signal })));
    case 'resume':
      if (assertRun(bw, cmd.runId).kind === 'task') return taskResult(await shown(bw.resumeTask(cmd.runId, { signal })));
      return continued(cmd.runId, await shown(bw.resume(cmd.runId, { signal })));
    case 'approve':
      assertRun(bw, cmd.runId);
      return continued(cmd.runId, await shown(bw.approve(cmd.runId, cmd.callId, { signal })));
    case 'deny':
      assertRun(bw, cmd.runId);
      return continued(cmd.runId, await shown(bw.deny(cmd.runId, cmd.callId, cmd.reason, { signal })));
    case 'repair': {
      const r = bw.repairRun(cmd.runId);
      out(
        { run_id: r.runId, line: r.line, kept_events: r.keptEvents, saved_to: r.savedTo },
        `repaired run ${r.runId}: the log now ends before line ${r.line} (${r.keptEvents} events kept); line ${r.line} and everything after it are saved in ${r.savedTo}\ncontinue it with: breakwater --resume ${r.runId}\n`,
      );
      return EXIT.completed;
    }
    case 'archive': {
      const r = bw.archiveRun(cmd.runId);
      out({ run_id: r.runId, moved_to: r.movedTo }, `archived run ${r.runId} to ${r.movedTo}\n`);
      return EXIT.completed;
    }
    case 'all': {
      const results = await shown(bw.askAll(cmd.prompt, { signal }));
      const json = Object.fromEntries([...results].map(([name, o]) => [name, outcomeJson(o, pendingOf)]));
      out({ results: json }, Object.values(json).map(humanRun).join('\n'));
      const codes = [...results.values()].map((o) => (o.kind === 'run' ? exitCodeOf(outcomeOf(o.state)) : EXIT.failed));
      // A cancel wins (the user pressed Ctrl-C), then a failure, then a wait.
      for (const code of [EXIT.cancelled, EXIT.failed, EXIT.waiting] as const) if (codes.includes(code)) return code;
      return EXIT.completed;
    }
    case 'task':
      return taskResult(await shown(bw.runTask(cmd.task, cmd.prompt, { signal })));
  }
}

/** `--status` in words: whether agents' commands are sandboxed, and why not. */
function sandboxLine(s: BreakwaterStatus['sandbox']): string {
  if (s.kind !== 'none') return `sandbox: ${s.kind}, commands run sandboxed (mode ${s.mode})${s.reason ? ` — note: ${s.reason}` : ''}\n`;
  const what = s.mode === 'required' ? 'commands are refused' : 'commands are NOT sandboxed and each asks every time';
  return `sandbox: none, ${what} (mode ${s.mode})${s.reason ? ` — ${s.reason}` : ''}\n`;
}

/** The run from the index (no replay); a damaged one stops here with its file:line and the ways out. */
function assertRun(bw: Breakwater, runId: string): RunSummary {
  const s = bw.runSummary(runId);
  if (s === undefined) throw new UsageError(`no run ${runId} in ${bw.layout.root}; list runs with --runs (and check --store)`);
  if (s.status === 'damaged') throw new RunLogCorruptError(s.damage.file, s.damage.line, s.damage.detail);
  return s;
}

function runIdOf(args: CliArgs): string | undefined {
  const c = args.command;
  return 'runId' in c ? c.runId : undefined;
}

/** What a damaged log means and the two ways out, with the commands to type. */
function damagedHelp(file: string, line: number, detail: string, runId: string | undefined): string {
  const id = runId ?? path.basename(file, '.jsonl');
  return [
    `${file}:${line}: invalid run event (${detail})`,
    `the run cannot continue past this line. Either:`,
    `  breakwater --repair ${id}    cut the log before line ${line} (line ${line} and after are saved under damaged/ in the store), then --resume ${id} continues from the last good event`,
    `  breakwater --archive ${id}   move the run out of the store's listings`,
    '',
  ].join('\n');
}

/** One line of `--runs`: id, status, agent, time, and for a run that stopped, why and what to do. */
function humanRunRow(r: RunSummary): string {
  const head = `${r.runId}  ${r.status.padEnd(16)} ${r.agent}  ${new Date(r.updatedAt).toISOString()}`;
  switch (r.status) {
    case 'interrupted':
      return `${head}\n    ${r.interruption.kind === 'crashed' ? 'crashed' : r.interruption.kind === 'cancelled' ? 'cancelled' : r.interruption.failure.kind}: ${r.error} → --resume ${r.runId}\n`;
    case 'waiting_on_human':
      return `${head}  (${r.pendingApprovals} pending) → --approve ${r.runId} or --deny ${r.runId}\n`;
    case 'failed':
      return `${head}\n    ${r.failure.kind}: ${r.error}\n`;
    case 'damaged':
      return `${head}\n    ${r.error} → --repair ${r.runId} (resume up to the damage) or --archive ${r.runId}\n`;
    default:
      return `${head}\n`;
  }
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

function humanConfig(c: ConfigStatus & { keys: Awaited<ReturnType<Breakwater['keySources']>> }): string {
  const file = (f: { path: string; exists: boolean } | null) => (f === null ? 'none' : `${f.path}${f.exists ? '' : ' (absent)'}`);
  const lines = [`config: user ${file(c.user_file)}`, `        workspace ${file(c.workspace_file)}`];
  for (const [key, v] of Object.entries(c.values)) if (v.from !== 'default') lines.push(`  ${key}: ${v.from}${v.variable ? ` ${v.variable}` : ''}`);
  for (const s of c.sensitive) if (s.status !== 'confirmed') lines.push(`  ${s.key}: ${s.status} workspace value ${JSON.stringify(s.value)} not in use`);
  for (const k of c.keys) lines.push(`key ${k.provider} → ${k.endpoint}: ${k.source ?? 'none'}${k.problem ? ` (${k.problem})` : ''}`);
  return `${lines.join('\n')}\n`;
}

function humanRun(r: ReturnType<typeof runJson>): string {
  const lines = [`[${r.agent}] ${r.status}${r.run_id ? ` (run ${r.run_id})` : ''}`];
  if (r.output) lines.push('', r.output);
  if (r.error) lines.push('', `error: ${r.error}`);
  if (r.resumable && r.run_id) lines.push(`  interrupted: continue it with --resume ${r.run_id}`);
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
      return `✗ ${id} ${e.payload.kind ?? 'failed'}: ${e.payload.error}\n`;
    case 'run_cancelled':
      return `⏹ ${id} cancelled: ${e.payload.reason} → --resume ${runId}\n`;
    case 'task_cancelled':
      return `⏹ task run ${runId} cancelled: ${e.payload.reason} → --resume ${runId}\n`;
    case 'task_interrupted':
      return `⏹ task run ${runId} interrupted: ${e.payload.reason} → --resume ${runId}\n`;
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
