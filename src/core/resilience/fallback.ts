import type { Emitter } from '../common/event';
import type { CoreEvent } from '../common/coreEvents';
import type { FallbackConfig } from '../config/schema';
import { isProviderError } from '../providers/errors';
import type { AnswerCache } from './answerCache';
import { isCircuitOpenError } from './errors';
import { splitPrompt } from './splitPrompt';
import { systemClock, type Clock } from './timers';

/**
 * The four fallback strategies, run when an agent's provider is unavailable (breaker open or
 * retries exhausted). The agent layer calls `runWithFallback` around an agent's turn and shows the
 * outcome's `notice` with the text, so a cached or degraded answer is never mistaken for a fresh one.
 */
export type FallbackOutcome =
  | { readonly kind: 'primary'; readonly text: string }
  | { readonly kind: 'cached'; readonly text: string; readonly cachedAt: number; readonly ageMs: number; readonly notice: string }
  | { readonly kind: 'degraded'; readonly text: string; readonly to: { readonly agent: string } | { readonly model: string }; readonly notice: string }
  | { readonly kind: 'decomposed'; readonly text: string; readonly parts: readonly string[]; readonly notice: string };

export type EscalationChoice = 'retry' | 'degrade' | 'cancel';

export interface EscalationRequest {
  readonly agent: string;
  readonly prompt: string;
  /** Why the agent cannot answer (the failure's message). */
  readonly reason: string;
  readonly error: unknown;
  /** What the user may choose; `degrade` only when a degrade target is configured. */
  readonly choices: readonly EscalationChoice[];
  readonly signal: AbortSignal;
}

export interface FallbackContext {
  readonly agentName: string;
  readonly prompt: string;
  /** Runs another agent (degrade / decompose). */
  readonly runAgent: (agent: string, prompt: string, signal: AbortSignal) => Promise<string>;
  /** Runs this agent's role on another model of its provider (degrade / decompose). */
  readonly runModel: (model: string, prompt: string, signal: AbortSignal) => Promise<string>;
  /** Pauses for the user (escalate). */
  readonly askUser: (request: EscalationRequest) => Promise<EscalationChoice>;
  readonly cache: AnswerCache;
  readonly events: Emitter<CoreEvent>;
  readonly signal: AbortSignal;
  readonly clock?: Clock;
  /** escalate: how many times the user may choose `retry` before the failure stands; defaults to 3. */
  readonly maxRetriesByUser?: number;
}

const unavailableBrand = Symbol.for('breakwater.FallbackUnavailableError');

/** The primary failed and the fallback could not answer either (cache miss, nothing to split, user cancelled). The primary's failure is the cause. */
export class FallbackUnavailableError extends Error {
  readonly [unavailableBrand] = true;
  constructor(
    readonly strategy: FallbackConfig['strategy'],
    readonly reason: 'no_cached_answer' | 'cannot_split' | 'cancelled' | 'gave_up',
    message: string,
    cause: unknown,
  ) {
    super(message, { cause });
    this.name = 'FallbackUnavailableError';
  }
}

export function isFallbackUnavailableError(e: unknown): e is FallbackUnavailableError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[unavailableBrand] === true;
}

/**
 * Whether a failure is one a fallback should answer: an open breaker, or a transient provider
 * failure that survived its retries (also found in the cause chain, when the agent layer wraps it).
 * `context_too_long` counts for `decompose` only. Budget refusals, auth and bad requests never do:
 * they are the user's to fix, and a fallback would hide them.
 */
export function isFallbackTrigger(err: unknown, strategy?: FallbackConfig['strategy']): boolean {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 6; depth++) {
    if (isCircuitOpenError(e)) return true;
    if (isProviderError(e)) return e.transient || (strategy === 'decompose' && e.kind === 'context_too_long');
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export async function runWithFallback(primary: (signal: AbortSignal) => Promise<string>, config: FallbackConfig | undefined, ctx: FallbackContext): Promise<FallbackOutcome> {
  let error: unknown;
  try {
    const text = await primary(ctx.signal);
    if (config?.strategy === 'cache') await ctx.cache.put(ctx.agentName, ctx.prompt, text);
    return { kind: 'primary', text };
  } catch (err) {
    if (config === undefined || !isFallbackTrigger(err, config.strategy) || ctx.signal.aborted) throw err;
    error = err;
  }
  switch (config.strategy) {
    case 'cache':
      return fromCache(config, ctx, error);
    case 'degrade':
      return degrade(config, ctx, error);
    case 'escalate':
      return escalate(primary, config, ctx, error);
    case 'decompose':
      return decompose(config, ctx, error);
  }
}

function used(ctx: FallbackContext, strategy: string, detail: string): void {
  ctx.events.fire({ type: 'fallback_used', agent: ctx.agentName, strategy, detail, at: (ctx.clock ?? systemClock)() });
}

function fromCache(config: FallbackConfig, ctx: FallbackContext, error: unknown): FallbackOutcome {
  const hit = ctx.cache.get(ctx.agentName, ctx.prompt, config.max_age * 1000);
  if (!hit) {
    throw new FallbackUnavailableError('cache', 'no_cached_answer', `${ctx.agentName} is unavailable (${messageOf(error)}) and has no cached answer to this prompt from the last ${config.max_age} s`, error);
  }
  const age = describeAge(hit.ageMs);
  used(ctx, 'cache', `answered from the cache (${age} old) because: ${messageOf(error)}`);
  return { kind: 'cached', text: hit.text, cachedAt: hit.at, ageMs: hit.ageMs, notice: `Cached answer from ${age} ago — ${ctx.agentName} is unavailable right now (${messageOf(error)}).` };
}

async function degrade(config: FallbackConfig, ctx: FallbackContext, error: unknown): Promise<FallbackOutcome> {
  if (config.agent !== undefined) {
    used(ctx, 'degrade', `answered by agent "${config.agent}" because: ${messageOf(error)}`);
    const text = await ctx.runAgent(config.agent, ctx.prompt, ctx.signal);
    return { kind: 'degraded', text, to: { agent: config.agent }, notice: `Answered by the fallback agent "${config.agent}" — ${ctx.agentName} is unavailable (${messageOf(error)}).` };
  }
  const model = config.model!;
  used(ctx, 'degrade', `answered by model "${model}" because: ${messageOf(error)}`);
  const text = await ctx.runModel(model, ctx.prompt, ctx.signal);
  return { kind: 'degraded', text, to: { model }, notice: `Answered by the fallback model "${model}" — ${ctx.agentName}'s usual model is unavailable (${messageOf(error)}).` };
}

async function escalate(primary: (signal: AbortSignal) => Promise<string>, config: FallbackConfig, ctx: FallbackContext, firstError: unknown): Promise<FallbackOutcome> {
  const canDegrade = config.agent !== undefined || config.model !== undefined;
  const choices: EscalationChoice[] = canDegrade ? ['retry', 'degrade', 'cancel'] : ['retry', 'cancel'];
  let error = firstError;
  const maxRetries = ctx.maxRetriesByUser ?? 3;
  for (let retries = 0; ; retries++) {
    used(ctx, 'escalate', `asked the user because: ${messageOf(error)}`);
    const choice = await ctx.askUser({ agent: ctx.agentName, prompt: ctx.prompt, reason: messageOf(error), error, choices, signal: ctx.signal });
    if (!choices.includes(choice)) throw new TypeError(`askUser answered "${String(choice)}", expected one of ${choices.join(', ')}`);
    if (choice === 'cancel') throw new FallbackUnavailableError('escalate', 'cancelled', `${ctx.agentName} is unavailable and the user cancelled (${messageOf(error)})`, error);
    if (choice === 'degrade') return degrade(config, ctx, error);
    if (retries >= maxRetries) throw new FallbackUnavailableError('escalate', 'gave_up', `${ctx.agentName} still failed after ${retries} retries asked for by the user (${messageOf(error)})`, error);
    try {
      return { kind: 'primary', text: await primary(ctx.signal) };
    } catch (err) {
      if (!isFallbackTrigger(err) || ctx.signal.aborted) throw err;
      error = err;
    }
  }
}

async function decompose(config: FallbackConfig, ctx: FallbackContext, error: unknown): Promise<FallbackOutcome> {
  const parts = splitPrompt(ctx.prompt, config.max_parts);
  if (parts.length < 2) {
    throw new FallbackUnavailableError('decompose', 'cannot_split', `${ctx.agentName} is unavailable (${messageOf(error)}) and the prompt is a single piece that cannot be split`, error);
  }
  const via = config.agent !== undefined ? `agent "${config.agent}"` : config.model !== undefined ? `model "${config.model}"` : `agent "${ctx.agentName}"`;
  used(ctx, 'decompose', `split into ${parts.length} parts run one by one by ${via} because: ${messageOf(error)}`);
  const answers: string[] = [];
  for (const [i, part] of parts.entries()) {
    const prompt = `This is part ${i + 1} of ${parts.length} of a larger request that was split into smaller pieces. Answer only this part.\n\n${part}`;
    if (config.agent !== undefined) answers.push(await ctx.runAgent(config.agent, prompt, ctx.signal));
    else if (config.model !== undefined) answers.push(await ctx.runModel(config.model, prompt, ctx.signal));
    else answers.push(await ctx.runAgent(ctx.agentName, prompt, ctx.signal));
  }
  return {
    kind: 'decomposed',
    text: answers.map((a, i) => `### Part ${i + 1} of ${parts.length}\n\n${a}`).join('\n\n'),
    parts,
    notice: `Answered in ${parts.length} smaller parts by ${via} — the whole request failed (${messageOf(error)}).`,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describeAge(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  return m < 90 ? `${m} min` : `${Math.round(m / 60)} h`;
}
