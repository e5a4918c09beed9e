import type { ChatItem } from './chatState';
import type { WebviewMessage } from '../protocol/messages';
import { visibleText } from '../core/common/visibleText';
import { h, icon, textButton } from './dom';

type Post = (message: WebviewMessage) => void;
type ToolItem = Extract<ChatItem, { kind: 'tool' }>;
type ApprovalItem = Extract<ChatItem, { kind: 'approval' }>;

const STATUS_ICON: Record<ToolItem['status'], { icon: string; label: string }> = {
  pending: { icon: 'clock', label: 'waiting for approval' },
  running: { icon: 'loading codicon-modifier-spin', label: 'running' },
  ok: { icon: 'pass', label: 'ok' },
  error: { icon: 'error', label: 'error' },
  blocked: { icon: 'circle-slash', label: 'blocked' },
  denied: { icon: 'close', label: 'denied' },
  skipped: { icon: 'debug-step-over', label: 'skipped' },
};

/** A tool call: its status, arguments and result (collapsible, collapsed by default). */
export function renderToolCard(item: ToolItem): HTMLElement {
  const status = STATUS_ICON[item.status];
  const args = h('details', { class: 'bw-collapsible' }, h('summary', {}, 'Arguments'), h('pre', { class: 'bw-pre' }, item.args));
  const result = item.result === undefined ? null : h('details', { class: 'bw-collapsible', open: item.status === 'error' || item.status === 'blocked' }, h('summary', {}, item.status === 'ok' ? 'Result' : 'Error'), h('pre', { class: 'bw-pre' }, item.result));
  return h(
    'div',
    { class: `bw-card bw-tool bw-status-${item.status}`, role: 'group', 'aria-label': `Tool ${item.tool}: ${status.label}` },
    h('div', { class: 'bw-card-head' }, icon(status.icon), h('span', { class: 'bw-tool-name' }, item.tool), h('span', { class: 'bw-badge' }, status.label)),
    args,
    result,
  );
}

/** A value on an approval card: control, bidi and zero-width characters shown escaped, never interpreted. */
const shown = (text: string) => visibleText(text, { multiline: true });

function field(label: string, value: string, mono = true): HTMLElement {
  return h('div', { class: 'bw-field' }, h('span', { class: 'bw-field-label' }, visibleText(label)), h(mono ? 'code' : 'span', { class: 'bw-field-value' }, shown(value)));
}

/**
 * An inline approval: what will happen, in the user's terms, and the buttons that decide. Drawn from
 * the call's approval view alone (command, fields, diff, "not sandboxed", what "always" covers); the
 * card knows no tool.
 */
export function renderApprovalCard(item: ApprovalItem, post: Post): HTMLElement {
  const a = item.approval;
  const body: HTMLElement[] = [];
  if (a.command !== undefined) {
    body.push(field('Command', a.command.text));
    if (a.command.steps.length > 1) body.push(h('ul', { class: 'bw-subcommands', 'aria-label': 'Commands it runs' }, ...a.command.steps.map((s) => h('li', {}, h('code', {}, shown(s))))));
  }
  for (const f of a.fields) body.push(field(f.label, f.value));
  const summary = visibleText(item.summary);
  const head = h('div', { class: 'bw-card-head' }, icon('shield'), h('span', {}, summary));
  const reason = h('div', { class: 'bw-reason' }, visibleText(item.reason));
  // A command outside the OS sandbox runs with the user's full rights: say it in words, with why.
  const unsandboxed = a.unsandboxed !== undefined ? h('div', { class: 'bw-unsandboxed', role: 'alert' }, icon('warning'), h('strong', {}, 'Not sandboxed: '), visibleText(a.unsandboxed.replace(/^not sandboxed: /, ''))) : null;
  const card = h('div', { class: 'bw-card bw-approval', role: 'group', 'aria-label': `Approval needed: ${summary}` }, head, reason, unsandboxed, ...body);
  if (item.resolved !== null) {
    card.classList.add(item.resolved ? 'bw-approved' : 'bw-rejected');
    card.append(h('div', { class: 'bw-resolution' }, icon(item.resolved ? 'check' : 'close'), item.resolved ? 'Approved' : 'Rejected'));
    return card;
  }
  const reasonInput = h('input', { class: 'bw-input', type: 'text', placeholder: 'Why not? (sent to the agent)', 'aria-label': 'Reason for rejecting' });
  const actions = h(
    'div',
    { class: 'bw-actions' },
    textButton('Approve', () => post({ type: 'approve', runId: item.runId, callId: item.callId, always: false }), { primary: true, iconName: 'check' }),
    // A proposed change is rejected; permission for anything else is denied.
    textButton(a.change !== undefined ? 'Reject' : 'Deny', () => post({ type: 'reject', runId: item.runId, callId: item.callId, reason: reasonInput.value.trim() || 'The user rejected this.' }), { iconName: 'close' }),
    a.change !== undefined ? textButton('View Diff', () => post({ type: 'viewDiff', runId: item.runId, callId: item.callId }), { iconName: 'diff' }) : null,
    item.canAlwaysAllow && a.alwaysAllow !== undefined ? textButton(`Always allow ${visibleText(a.alwaysAllow)}`, () => post({ type: 'approve', runId: item.runId, callId: item.callId, always: true }), { iconName: 'workspace-trusted' }) : null,
  );
  card.append(reasonInput, actions);
  return card;
}
