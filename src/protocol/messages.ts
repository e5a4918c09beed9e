import * as z from 'zod/mini';
import { approvalViewSchema, type ApprovalView } from '../core/tools/approvalView';

/**
 * The chat view's protocol: ONE map per direction of message type → zod schema of the message.
 * Each side validates what it RECEIVES, once, at the boundary (the webview `parseHostMessage`, the
 * host `parseWebviewMessage`); what a side sends is typed and not validated again. An invalid
 * message is dropped and reported to the receiver's logger, never acted upon. Every schema
 * is strict so a stray field is an error, not a silent passenger. `zod/mini` (same validator,
 * functional API) keeps the webview bundle ~450 KB smaller than classic zod.
 */

const id = z.string().check(z.minLength(1), z.maxLength(200));
const text = z.string().check(z.maxLength(2_000_000));
const bounded = (max: number) => z.string().check(z.maxLength(max));
const nonNegative = z.number().check(z.gte(0));

export const toolCallStatusSchema = z.enum(['pending', 'running', 'ok', 'error', 'blocked', 'denied', 'skipped']);
export type ToolCallStatus = z.infer<typeof toolCallStatusSchema>;

export const runStatusSchema = z.enum(['running', 'waiting_on_human', 'completed', 'failed', 'cancelled', 'interrupted']);
export type RunStatus = z.infer<typeof runStatusSchema>;

export const agentInfoSchema = z.strictObject({
  name: id,
  provider: z.string(),
  model: z.string(),
  tools: z.array(z.string()),
});
export type AgentInfo = z.infer<typeof agentInfoSchema>;

/**
 * What the user must see to decide: the core's approval view (fields, command, diff, "not sandboxed"),
 * the same schema the run log stores it with, minus the file contents. The card draws it without
 * knowing the tool. "Apply" on a code block sends one too (tool `apply`): a write the user proposes.
 */
export { approvalViewSchema, type ApprovalView };

export const errorActionSchema = z.enum(['retry', 'openSettings', 'setApiKey', 'openConfig', 'resume']);
export type ErrorAction = z.infer<typeof errorActionSchema>;

export const usageViewSchema = z.strictObject({
  inputTokens: nonNegative,
  outputTokens: nonNegative,
  costUsd: nonNegative,
  /** Spent across the workspace (today's ledger), for "budget left". */
  spentUsd: nonNegative,
  budgetUsd: z.nullable(nonNegative),
});
export type UsageView = z.infer<typeof usageViewSchema>;

export const runSummarySchema = z.strictObject({
  runId: id,
  agent: z.string(),
  status: runStatusSchema,
  title: bounded(500),
  updatedAt: z.number(),
});
export type RunSummary = z.infer<typeof runSummarySchema>;

/** Host → webview. */
export const hostMessages = {
  init: z.strictObject({
    type: z.literal('init'),
    agents: z.array(agentInfoSchema),
    defaultAgent: z.nullable(z.string()),
    trusted: z.boolean(),
    /** Tools that are off, with why (Restricted Mode, missing key…). */
    disabledTools: z.array(z.strictObject({ tool: z.string(), reason: z.string() })),
    configError: z.nullable(z.string()),
  }),
  /** The user's prompt, echoed by the host so a rebuilt view shows it too. */
  userPrompt: z.strictObject({ type: z.literal('userPrompt'), text, agent: z.nullable(z.string()) }),
  runStarted: z.strictObject({ type: z.literal('runStarted'), runId: id, agent: z.string(), provider: z.string(), model: z.string(), prompt: text, replay: z.boolean() }),
  textDelta: z.strictObject({ type: z.literal('textDelta'), runId: id, text }),
  /** The stream broke after text was shown and the turn is redone: drop what was shown. */
  textDiscard: z.strictObject({ type: z.literal('textDiscard'), runId: id, reason: z.string() }),
  toolCall: z.strictObject({
    type: z.literal('toolCall'),
    runId: id,
    callId: id,
    tool: z.string(),
    args: bounded(200_000),
    status: toolCallStatusSchema,
    result: z.optional(bounded(200_000)),
  }),
  approvalRequest: z.strictObject({
    type: z.literal('approvalRequest'),
    runId: id,
    callId: id,
    summary: z.string(),
    reason: z.string(),
    /** No "always allow" for calls that must be asked every time. */
    canAlwaysAllow: z.boolean(),
    approval: approvalViewSchema,
  }),
  approvalResolved: z.strictObject({ type: z.literal('approvalResolved'), runId: id, callId: id, approved: z.boolean() }),
  runFinished: z.strictObject({
    type: z.literal('runFinished'),
    runId: id,
    status: runStatusSchema,
    usage: z.optional(usageViewSchema),
    error: z.optional(z.strictObject({ message: z.string(), cause: z.optional(z.string()), actions: z.array(errorActionSchema) })),
  }),
  usage: z.strictObject({ type: z.literal('usage'), usage: usageViewSchema }),
  runs: z.strictObject({ type: z.literal('runs'), runs: z.array(runSummarySchema) }),
  /** Output of a slash command or a host notice, as markdown (sanitized by the webview like any answer). */
  notice: z.strictObject({ type: z.literal('notice'), level: z.enum(['info', 'warning', 'error']), markdown: text }),
  clear: z.strictObject({ type: z.literal('clear') }),
  busy: z.strictObject({ type: z.literal('busy'), runId: z.nullable(id) }),
} as const;

/** Webview → host. */
export const webviewMessages = {
  ready: z.strictObject({ type: z.literal('ready') }),
  send: z.strictObject({ type: z.literal('send'), text: z.string().check(z.minLength(1), z.maxLength(100_000)), agent: z.nullable(z.string()) }),
  stop: z.strictObject({ type: z.literal('stop') }),
  newChat: z.strictObject({ type: z.literal('newChat') }),
  approve: z.strictObject({ type: z.literal('approve'), runId: id, callId: id, always: z.boolean() }),
  approveAll: z.strictObject({ type: z.literal('approveAll'), runId: id }),
  reject: z.strictObject({ type: z.literal('reject'), runId: id, callId: id, reason: bounded(2000) }),
  viewDiff: z.strictObject({ type: z.literal('viewDiff'), runId: id, callId: id }),
  copyCode: z.strictObject({ type: z.literal('copyCode'), code: bounded(1_000_000) }),
  insertCode: z.strictObject({ type: z.literal('insertCode'), code: bounded(1_000_000) }),
  applyCode: z.strictObject({ type: z.literal('applyCode'), code: bounded(1_000_000), language: bounded(50) }),
  openRun: z.strictObject({ type: z.literal('openRun'), runId: id }),
  resumeRun: z.strictObject({ type: z.literal('resumeRun'), runId: id }),
  errorAction: z.strictObject({ type: z.literal('errorAction'), runId: z.nullable(id), action: errorActionSchema }),
  listRuns: z.strictObject({ type: z.literal('listRuns') }),
} as const;

type Schemas<M> = { [K in keyof M]: M[K] extends z.ZodMiniType ? z.infer<M[K]> : never };
export type HostMessage = Schemas<typeof hostMessages>[keyof typeof hostMessages];
export type WebviewMessage = Schemas<typeof webviewMessages>[keyof typeof webviewMessages];
export type HostMessageOf<T extends HostMessage['type']> = Extract<HostMessage, { type: T }>;
export type WebviewMessageOf<T extends WebviewMessage['type']> = Extract<WebviewMessage, { type: T }>;

export type ParseResult<T> = { readonly ok: true; readonly message: T } | { readonly ok: false; readonly error: string };

function parseWith<T>(map: Record<string, z.ZodMiniType>, raw: unknown): ParseResult<T> {
  if (typeof raw !== 'object' || raw === null || typeof (raw as { type?: unknown }).type !== 'string') {
    return { ok: false, error: 'message is not an object with a string `type`' };
  }
  const type = (raw as { type: string }).type;
  const schema = Object.prototype.hasOwnProperty.call(map, type) ? map[type] : undefined;
  if (!schema) return { ok: false, error: `unknown message type "${type.slice(0, 50)}"` };
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    return { ok: false, error: `invalid "${type}" message: ${issues}` };
  }
  return { ok: true, message: result.data as T };
}

/** Validates a message the webview received. */
export function parseHostMessage(raw: unknown): ParseResult<HostMessage> {
  return parseWith<HostMessage>(hostMessages, raw);
}

/** Validates a message the host received from the webview. */
export function parseWebviewMessage(raw: unknown): ParseResult<WebviewMessage> {
  return parseWith<WebviewMessage>(webviewMessages, raw);
}
