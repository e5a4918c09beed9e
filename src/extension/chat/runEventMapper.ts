import type { RunEvent } from '../../core/index';
import { outcomeOf } from '../../core/index';
import { nextPhase, RUNNING } from '../../core/index';
import { toApprovalView as viewOf, type ApprovalRequest } from '../../core/index';
import type { ApprovalView, HostMessage } from '../../protocol/messages';

/** What the host keeps per pending call so View Diff can show the real contents. */
export interface PendingContent {
  readonly path: string;
  readonly currentContent: string | null;
  readonly proposedContent: string;
}

const MAX_TEXT = 100_000;
/** Text for the protocol, cut at MAX_TEXT characters with a note of how much was left out. */
export const clip = (s: string): string => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}\n… (${s.length - MAX_TEXT} more characters)` : s);

function stringify(value: unknown): string {
  try {
    return clip(JSON.stringify(value, null, 2) ?? 'undefined');
  } catch {
    return String(value);
  }
}

/**
 * Turns a run's log events into chat protocol messages. No vscode here: it is plain data in and
 * out, tested in Node. Keeps the prepared calls it has seen, because an `approval_requested` event
 * refers to the call that `tool_call_decided` described.
 */
export class RunEventMapper {
  private readonly prepared = new Map<string, { tool: string; args: unknown; approval?: ApprovalRequest; decision: string }>();
  private readonly contents = new Map<string, PendingContent>();
  private provider = '';
  private model = '';

  /**
   * @param agentTarget the provider and model an agent is configured with, so the run's header says
   *   who will answer before the first model call (the log names them only at `llm_call_started`).
   */
  constructor(
    private readonly runId: string,
    private readonly agentTarget: (agent: string) => { provider: string; model: string } | undefined = () => undefined,
  ) {}

  /** File contents for the diff of a pending write/edit, when the core supplied them. */
  contentFor(callId: string): PendingContent | undefined {
    return this.contents.get(callId);
  }

  /** Keeps the contents of a pending write/edit that the approver was shown. */
  remember(callId: string, content: PendingContent): void {
    this.contents.set(callId, content);
  }

  /** Messages for one event. `replay` marks a run reopened from its log rather than streaming now. */
  map(event: RunEvent, replay: boolean): HostMessage[] {
    const runId = this.runId;
    switch (event.type) {
      case 'run_started': {
        const target = this.agentTarget(event.payload.agent);
        if (target && this.provider === '') ({ provider: this.provider, model: this.model } = target);
        return [{ type: 'runStarted', runId, agent: event.payload.agent, provider: this.provider, model: this.model, prompt: clip(event.payload.prompt), replay }];
      }
      case 'llm_call_started':
        this.provider = event.payload.provider;
        this.model = event.payload.model;
        return [];
      case 'assistant_message':
        // While streaming the text came through onText already; a replay has only the log.
        return replay && event.payload.text !== '' ? [{ type: 'textDelta', runId, text: clip(event.payload.text) }] : [];
      case 'tool_call_requested':
        this.prepared.set(event.payload.call_id, { tool: event.payload.tool, args: event.payload.args, decision: 'allow' });
        return [{ type: 'toolCall', runId, callId: event.payload.call_id, tool: event.payload.tool, args: stringify(event.payload.args), status: 'running' }];
      case 'tool_call_decided': {
        const p = event.payload.prepared;
        this.prepared.set(event.payload.call_id, { tool: p.tool, args: p.args, decision: p.decision.kind, ...(p.approval ? { approval: p.approval } : {}) });
        const change = p.approval?.change;
        if (change !== undefined) this.contents.set(event.payload.call_id, { path: change.path, currentContent: change.before, proposedContent: change.after });
        return [];
      }
      case 'approval_requested': {
        const known = this.prepared.get(event.payload.call_id);
        const approval = toApprovalView(known?.approval, event.payload.tool, known?.args);
        return [
          { type: 'toolCall', runId, callId: event.payload.call_id, tool: event.payload.tool, args: stringify(known?.args ?? {}), status: 'pending' },
          {
            type: 'approvalRequest',
            runId,
            callId: event.payload.call_id,
            summary: event.payload.summary,
            reason: event.payload.may_have_run ? `${event.payload.reason} (it may already have run before a crash)` : event.payload.reason,
            canAlwaysAllow: event.payload.kind === 'ask',
            approval,
          },
        ];
      }
      case 'approval_granted':
        return [
          { type: 'approvalResolved', runId, callId: event.payload.call_id, approved: true },
          { type: 'toolCall', runId, callId: event.payload.call_id, tool: this.toolOf(event.payload.call_id), args: this.argsOf(event.payload.call_id), status: 'running' },
        ];
      case 'approval_denied':
        return [
          { type: 'approvalResolved', runId, callId: event.payload.call_id, approved: false },
          { type: 'toolCall', runId, callId: event.payload.call_id, tool: this.toolOf(event.payload.call_id), args: this.argsOf(event.payload.call_id), status: 'denied', ...(event.payload.reason ? { result: event.payload.reason } : {}) },
        ];
      case 'tool_call_completed':
        return [{ type: 'toolCall', runId, callId: event.payload.call_id, tool: this.toolOf(event.payload.call_id), args: this.argsOf(event.payload.call_id), status: 'ok', result: clip(event.payload.output) }];
      case 'tool_call_failed':
        return [{ type: 'toolCall', runId, callId: event.payload.call_id, tool: this.toolOf(event.payload.call_id), args: this.argsOf(event.payload.call_id), status: event.payload.status, result: clip(event.payload.error) }];
      case 'tool_call_skipped':
        return [{ type: 'toolCall', runId, callId: event.payload.call_id, tool: this.toolOf(event.payload.call_id), args: this.argsOf(event.payload.call_id), status: 'skipped', result: event.payload.reason }];
      case 'fallback_used':
        return [{ type: 'notice', level: 'warning', markdown: `Fallback **${event.payload.strategy}**: ${event.payload.detail}` }];
      case 'run_paused':
        return replay ? [{ type: 'runFinished', runId, status: 'waiting_on_human' }] : [];
      case 'run_completed':
        return replay ? [{ type: 'runFinished', runId, status: 'completed' }] : [];
      case 'run_failed':
      case 'run_cancelled': {
        if (!replay) return [];
        // The core's one mapping: a cancel or a transient failure left the run interrupted (resumable).
        const o = outcomeOf(nextPhase(RUNNING, event));
        return [{ type: 'runFinished', runId, status: o.shown, error: { message: o.error ?? '', actions: o.resumable ? ['resume', 'retry'] : ['retry'] } }];
      }
      default:
        return [];
    }
  }

  private toolOf(callId: string): string {
    return this.prepared.get(callId)?.tool ?? 'tool';
  }

  private argsOf(callId: string): string {
    return stringify(this.prepared.get(callId)?.args ?? {});
  }
}

/**
 * The core's approval request → what the card shows; never the file contents. Without one (a call
 * asked again after a crash that had none), the card shows the call's arguments, so the user still
 * sees what is asked. Knows no tool.
 */
export function toApprovalView(approval: ApprovalRequest | undefined, tool: string, args: unknown): ApprovalView {
  if (approval !== undefined) return viewOf(approval, clip);
  const fields = typeof args === 'object' && args !== null && !Array.isArray(args) ? Object.entries(args).map(([label, value]) => ({ label, value: typeof value === 'string' ? clip(value) : stringify(value) })) : [];
  return { tool: tool.length > 0 ? tool : 'tool', fields };
}
