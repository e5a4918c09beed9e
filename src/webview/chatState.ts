import type { AgentInfo, ApprovalView, ErrorAction, HostMessage, RunStatus, RunSummary, ToolCallStatus, UsageView } from '../protocol/messages';

/**
 * The chat view's model: everything shown, as plain JSON, so it can be saved with the webview's
 * `setState` and rebuilt after the view is hidden or the window reloads. `applyHostMessage` is the
 * only way it changes (a reducer), which keeps the DOM code dumb and this logic testable in Node.
 */

export type ChatItem =
  | { readonly kind: 'user'; readonly text: string; readonly agent: string | null }
  | { readonly kind: 'assistant'; readonly runId: string; readonly agent: string; readonly provider: string; readonly model: string; text: string; done: boolean }
  | { readonly kind: 'tool'; readonly runId: string; readonly callId: string; readonly tool: string; args: string; status: ToolCallStatus; result?: string }
  | {
      readonly kind: 'approval';
      readonly runId: string;
      readonly callId: string;
      readonly summary: string;
      readonly reason: string;
      readonly canAlwaysAllow: boolean;
      readonly approval: ApprovalView;
      /** null while waiting for the user. */
      resolved: boolean | null;
    }
  | { readonly kind: 'notice'; readonly level: 'info' | 'warning' | 'error'; readonly markdown: string }
  | { readonly kind: 'error'; readonly runId: string; readonly message: string; readonly cause?: string; readonly actions: readonly ErrorAction[] };

export interface ChatState {
  readonly version: 1;
  agents: AgentInfo[];
  agent: string | null;
  trusted: boolean;
  disabledTools: { tool: string; reason: string }[];
  configError: string | null;
  draft: string;
  items: ChatItem[];
  runs: RunSummary[];
  usage: UsageView | null;
  /** The run that is streaming now (Stop applies to it). */
  busyRunId: string | null;
  /** Run id → who answers, for the header of answers that follow a tool call. */
  runAgents: Record<string, { agent: string; provider: string; model: string }>;
  lastRunStatus: Record<string, RunStatus>;
}

export function emptyState(): ChatState {
  return { version: 1, agents: [], agent: null, trusted: true, disabledTools: [], configError: null, draft: '', items: [], runs: [], usage: null, busyRunId: null, runAgents: {}, lastRunStatus: {} };
}

/** Accepts a saved state only if it has the shape this version writes; anything else starts fresh. */
export function restoreState(saved: unknown): ChatState {
  if (typeof saved === 'object' && saved !== null && (saved as { version?: unknown }).version === 1 && Array.isArray((saved as { items?: unknown }).items)) {
    const state = { ...emptyState(), ...(saved as Partial<ChatState>) } as ChatState;
    // A stream cannot survive a reload; the host re-sends busy if the run is still going.
    state.busyRunId = null;
    for (const item of state.items) if (item.kind === 'assistant') item.done = true;
    return state;
  }
  return emptyState();
}

/** What changed, so the view touches only that. */
export type ChatChange =
  | { readonly kind: 'all' }
  | { readonly kind: 'chrome' }
  | { readonly kind: 'appended'; readonly index: number }
  | { readonly kind: 'updated'; readonly index: number }
  | { readonly kind: 'delta'; readonly index: number; readonly text: string }
  | { readonly kind: 'discard'; readonly index: number }
  | { readonly kind: 'none' };

function lastIndexWhere(items: readonly ChatItem[], predicate: (item: ChatItem) => boolean): number {
  return items.findLastIndex(predicate);
}

/** Applies one validated host message to the state (mutating it) and says what changed. */
export function applyHostMessage(state: ChatState, message: HostMessage): ChatChange {
  switch (message.type) {
    case 'init': {
      state.agents = message.agents;
      state.trusted = message.trusted;
      state.disabledTools = message.disabledTools;
      state.configError = message.configError;
      if (state.agent === null || !message.agents.some((a) => a.name === state.agent)) state.agent = message.defaultAgent;
      return { kind: 'chrome' };
    }
    case 'userPrompt':
      state.items.push({ kind: 'user', text: message.text, agent: message.agent });
      return { kind: 'appended', index: state.items.length - 1 };
    case 'runStarted': {
      state.runAgents[message.runId] = { agent: message.agent, provider: message.provider, model: message.model };
      if (message.replay) state.items.push({ kind: 'user', text: message.prompt, agent: message.agent });
      state.items.push({ kind: 'assistant', runId: message.runId, agent: message.agent, provider: message.provider, model: message.model, text: '', done: false });
      return message.replay ? { kind: 'all' } : { kind: 'appended', index: state.items.length - 1 };
    }
    case 'textDelta': {
      const last = state.items[state.items.length - 1];
      if (last && last.kind === 'assistant' && last.runId === message.runId && !last.done) {
        last.text += message.text;
        return { kind: 'delta', index: state.items.length - 1, text: message.text };
      }
      const who = state.runAgents[message.runId] ?? { agent: '?', provider: '', model: '' };
      state.items.push({ kind: 'assistant', runId: message.runId, ...who, text: message.text, done: false });
      return { kind: 'appended', index: state.items.length - 1 };
    }
    case 'textDiscard': {
      const index = lastIndexWhere(state.items, (i) => i.kind === 'assistant' && i.runId === message.runId && !i.done);
      if (index < 0) return { kind: 'none' };
      (state.items[index] as Extract<ChatItem, { kind: 'assistant' }>).text = '';
      return { kind: 'discard', index };
    }
    case 'toolCall': {
      closeOpenAnswer(state, message.runId);
      const index = lastIndexWhere(state.items, (i) => i.kind === 'tool' && i.runId === message.runId && i.callId === message.callId);
      if (index >= 0) {
        const item = state.items[index] as Extract<ChatItem, { kind: 'tool' }>;
        item.status = message.status;
        item.args = message.args;
        if (message.result !== undefined) item.result = message.result;
        return { kind: 'updated', index };
      }
      state.items.push({ kind: 'tool', runId: message.runId, callId: message.callId, tool: message.tool, args: message.args, status: message.status, ...(message.result === undefined ? {} : { result: message.result }) });
      return { kind: 'appended', index: state.items.length - 1 };
    }
    case 'approvalRequest': {
      closeOpenAnswer(state, message.runId);
      const index = lastIndexWhere(state.items, (i) => i.kind === 'approval' && i.runId === message.runId && i.callId === message.callId);
      if (index >= 0) return { kind: 'none' };
      state.items.push({ kind: 'approval', runId: message.runId, callId: message.callId, summary: message.summary, reason: message.reason, canAlwaysAllow: message.canAlwaysAllow, approval: message.approval, resolved: null });
      return { kind: 'appended', index: state.items.length - 1 };
    }
    case 'approvalResolved': {
      const index = lastIndexWhere(state.items, (i) => i.kind === 'approval' && i.runId === message.runId && i.callId === message.callId);
      if (index < 0) return { kind: 'none' };
      (state.items[index] as Extract<ChatItem, { kind: 'approval' }>).resolved = message.approved;
      return { kind: 'updated', index };
    }
    case 'runFinished': {
      closeOpenAnswer(state, message.runId);
      state.lastRunStatus[message.runId] = message.status;
      if (message.usage) state.usage = message.usage;
      if (state.busyRunId === message.runId) state.busyRunId = null;
      if (message.error) {
        state.items.push({ kind: 'error', runId: message.runId, message: message.error.message, ...(message.error.cause === undefined ? {} : { cause: message.error.cause }), actions: message.error.actions });
        return { kind: 'appended', index: state.items.length - 1 };
      }
      return { kind: 'chrome' };
    }
    case 'usage':
      state.usage = message.usage;
      return { kind: 'chrome' };
    case 'runs':
      state.runs = message.runs;
      return { kind: 'chrome' };
    case 'notice':
      state.items.push({ kind: 'notice', level: message.level, markdown: message.markdown });
      return { kind: 'appended', index: state.items.length - 1 };
    case 'clear':
      state.items = [];
      state.busyRunId = null;
      state.runAgents = {};
      return { kind: 'all' };
    case 'busy':
      state.busyRunId = message.runId;
      return { kind: 'chrome' };
  }
}

function closeOpenAnswer(state: ChatState, runId: string): void {
  const last = state.items[state.items.length - 1];
  if (last && last.kind === 'assistant' && last.runId === runId) last.done = true;
}

/** `@agent rest of message` → the agent (if it is one we know) and the message without the mention. */
export function parseMention(text: string, agents: readonly AgentInfo[]): { agent: string | null; text: string } {
  const match = /^\s*@([\w.-]+)\s+([\s\S]*)$/.exec(text);
  if (match?.[1] !== undefined && match[2] !== undefined && agents.some((a) => a.name === match[1])) return { agent: match[1], text: match[2] };
  return { agent: null, text };
}
