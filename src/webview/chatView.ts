import type { HostMessage, RunSummary, WebviewMessage } from '../protocol/messages';
import { applyHostMessage, type ChatItem, type ChatState, parseMention } from './chatState';
import { renderApprovalCard, renderToolCard } from './cards';
import { h, icon, iconButton, textButton } from './dom';
import type { MarkdownRenderer } from './markdown';
import { StreamingRenderer } from './streamingRenderer';

type Post = (message: WebviewMessage) => void;

const RUN_STATUS_ICON: Record<RunSummary['status'], string> = {
  running: 'loading codicon-modifier-spin',
  waiting_on_human: 'debug-pause',
  completed: 'pass',
  failed: 'error',
  cancelled: 'circle-slash',
  interrupted: 'warning',
};

const ACTION_LABEL = { retry: 'Retry', openSettings: 'Open settings', setApiKey: 'Set API key', openConfig: 'Open agents.yaml', resume: 'Resume' } as const;

/**
 * The chat view's DOM. Owns the elements; the model is `ChatState`. Earlier messages are rendered
 * once; the answer that is streaming is handed to a `StreamingRenderer` that re-renders only its tail.
 */
export class ChatView {
  private readonly agentSelect = h('select', { class: 'bw-select', 'aria-label': 'Agent' });
  private readonly modelLabel = h('span', { class: 'bw-model', 'aria-live': 'polite' });
  private readonly banner = h('div', { class: 'bw-banner', role: 'status' });
  private readonly history = h('div', { class: 'bw-history', hidden: true, role: 'region', 'aria-label': 'Earlier runs' });
  private readonly log = h('div', { class: 'bw-log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation' });
  private readonly usage = h('div', { class: 'bw-usage', 'aria-live': 'polite' });
  private readonly input = h('textarea', { class: 'bw-textarea', rows: '3', 'aria-label': 'Message (Enter to send, Shift+Enter for a new line)', placeholder: 'Ask an agent — @agent to pick one, / for commands' });
  private readonly sendButton = iconButton('send', 'Send', () => this.send(), 'bw-send');
  private readonly stopButton = iconButton('debug-stop', 'Stop', () => this.post({ type: 'stop' }), 'bw-stop');
  private readonly elements: HTMLElement[] = [];
  private streaming: { index: number; renderer: StreamingRenderer } | null = null;

  constructor(
    root: HTMLElement,
    private readonly state: ChatState,
    private readonly markdown: MarkdownRenderer,
    private readonly post: Post,
    private readonly persist: () => void,
  ) {
    const header = h(
      'div',
      { class: 'bw-header' },
      this.agentSelect,
      this.modelLabel,
      h('span', { class: 'bw-spacer' }),
      iconButton('history', 'Run history', () => this.toggleHistory()),
      iconButton('add', 'New chat', () => this.post({ type: 'newChat' })),
    );
    this.agentSelect.addEventListener('change', () => {
      this.state.agent = this.agentSelect.value || null;
      this.renderChrome();
      this.persist();
    });
    this.input.value = state.draft;
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.send();
      }
    });
    this.input.addEventListener('input', () => {
      this.state.draft = this.input.value;
      this.persist();
    });
    this.log.addEventListener('click', (e) => this.onLogClick(e));
    this.followOutput();
    const composer = h('div', { class: 'bw-composer' }, this.input, h('div', { class: 'bw-composer-actions' }, this.usage, this.stopButton, this.sendButton));
    root.append(header, this.banner, this.history, this.log, composer);
    this.renderAll();
  }

  focusInput(): void {
    this.input.focus();
  }

  /** Applies a validated host message and updates only what it changed. */
  handle(message: HostMessage): void {
    const change = applyHostMessage(this.state, message);
    switch (change.kind) {
      case 'all':
        this.renderAll();
        break;
      case 'chrome':
        this.renderChrome();
        break;
      case 'appended':
        this.appendItem(change.index);
        this.renderChrome();
        break;
      case 'updated':
        this.replaceItem(change.index);
        break;
      case 'delta':
        if (this.streaming?.index === change.index) this.streaming.renderer.append(change.text);
        else this.replaceItem(change.index);
        break;
      case 'discard':
        if (this.streaming?.index === change.index) this.streaming.renderer.discard();
        else this.replaceItem(change.index);
        break;
      case 'none':
        break;
    }
    if (message.type === 'runFinished' || message.type === 'toolCall' || message.type === 'approvalRequest') this.finishStreamingIfDone();
    if (change.kind !== 'delta') this.persist();
  }

  private send(): void {
    const raw = this.input.value.trim();
    if (raw === '') return;
    const mention = parseMention(raw, this.state.agents);
    if (mention.agent !== null) this.state.agent = mention.agent;
    this.post({ type: 'send', text: raw.startsWith('/') ? raw : mention.text, agent: mention.agent ?? this.state.agent });
    this.input.value = '';
    this.state.draft = '';
    // Sending means "show me the answer": follow the output again even if the user had scrolled up.
    this.log.scrollTop = this.log.scrollHeight;
    this.renderChrome();
    this.persist();
  }

  private renderAll(): void {
    this.streaming?.renderer.dispose();
    this.streaming = null;
    this.log.replaceChildren();
    this.elements.length = 0;
    this.state.items.forEach((_item, index) => this.appendItem(index));
    this.renderChrome();
  }

  /**
   * Keeps the newest output in view while the user is at the bottom of the log: streamed text,
   * cards and resolutions grow the log without a new item, so scrolling on append is not enough.
   * Scrolling up to read stops the following; scrolling back to the end resumes it.
   */
  private followOutput(): void {
    let pinned = true;
    this.log.addEventListener('scroll', () => {
      pinned = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 24;
    });
    if (typeof MutationObserver === 'undefined') return;
    new MutationObserver(() => {
      if (pinned) this.log.scrollTop = this.log.scrollHeight;
    }).observe(this.log, { childList: true, subtree: true, characterData: true });
  }

  private appendItem(index: number): void {
    const item = this.state.items[index];
    if (item === undefined) return;
    const element = this.renderItem(item, index);
    this.elements[index] = element;
    this.log.append(element);
  }

  private replaceItem(index: number): void {
    const old = this.elements[index];
    if (!old) return;
    if (this.streaming?.index === index) {
      this.streaming.renderer.dispose();
      this.streaming = null;
    }
    const item = this.state.items[index];
    if (item === undefined) return;
    const fresh = this.renderItem(item, index);
    old.replaceWith(fresh);
    this.elements[index] = fresh;
  }

  private finishStreamingIfDone(): void {
    if (!this.streaming) return;
    const item = this.state.items[this.streaming.index];
    if (item?.kind === 'assistant' && item.done) {
      this.streaming.renderer.flush();
      this.streaming.renderer.dispose();
      this.streaming = null;
    }
  }

  private renderItem(item: ChatItem, index: number): HTMLElement {
    switch (item.kind) {
      case 'user':
        return h('div', { class: 'bw-msg bw-user' }, h('div', { class: 'bw-msg-head' }, icon('account'), 'You', item.agent ? ` → @${item.agent}` : ''), h('div', { class: 'bw-user-text' }, item.text));
      case 'assistant': {
        const body = h('div', { class: 'bw-md' });
        const element = h('div', { class: 'bw-msg bw-assistant', 'data-run': item.runId }, h('div', { class: 'bw-msg-head' }, icon('hubot'), `@${item.agent}`, h('span', { class: 'bw-muted' }, ` ${item.provider} · ${item.model}`)), body);
        if (item.done) {
          body.innerHTML = this.markdown.render(item.text);
        } else {
          this.streaming?.renderer.flush();
          this.streaming?.renderer.dispose();
          const renderer = new StreamingRenderer(body, this.markdown);
          renderer.append(item.text);
          this.streaming = { index, renderer };
        }
        return element;
      }
      case 'tool':
        return renderToolCard(item);
      case 'approval':
        return renderApprovalCard(item, this.post);
      case 'notice': {
        const body = h('div', { class: 'bw-md' });
        body.innerHTML = this.markdown.render(item.markdown);
        return h('div', { class: `bw-notice bw-notice-${item.level}`, role: item.level === 'error' ? 'alert' : 'note' }, body);
      }
      case 'error':
        return h(
          'div',
          { class: 'bw-card bw-error', role: 'alert' },
          h('div', { class: 'bw-card-head' }, icon('error'), item.message),
          item.cause ? h('details', { class: 'bw-collapsible' }, h('summary', {}, 'Cause'), h('pre', { class: 'bw-pre' }, item.cause)) : null,
          h('div', { class: 'bw-actions' }, ...item.actions.map((action) => textButton(ACTION_LABEL[action], () => this.post({ type: 'errorAction', runId: item.runId, action })))),
        );
    }
  }

  private renderChrome(): void {
    const s = this.state;
    const options = s.agents.map((a) => h('option', { value: a.name, selected: a.name === s.agent }, a.name));
    this.agentSelect.replaceChildren(...(options.length ? options : [h('option', { value: '' }, 'No agents configured')]));
    this.agentSelect.disabled = options.length === 0;
    const agent = s.agents.find((a) => a.name === s.agent);
    this.modelLabel.textContent = agent ? `${agent.provider} · ${agent.model}` : '';
    const notes: HTMLElement[] = [];
    if (s.configError) notes.push(h('div', { class: 'bw-banner-error' }, icon('error'), s.configError, textButton('Open agents.yaml', () => this.post({ type: 'errorAction', runId: null, action: 'openConfig' }))));
    if (!s.trusted || s.disabledTools.length) {
      notes.push(h('div', { class: 'bw-banner-warn' }, icon('shield'), h('span', {}, s.trusted ? 'Some tools are off:' : 'Restricted Mode: agents can only read this workspace.'), h('ul', {}, ...s.disabledTools.map((t) => h('li', {}, h('code', {}, t.tool), ` — ${t.reason}`)))));
    }
    this.banner.replaceChildren(...notes);
    this.banner.hidden = notes.length === 0;
    const busy = s.busyRunId !== null;
    this.stopButton.hidden = !busy;
    this.sendButton.hidden = busy;
    const u = s.usage;
    this.usage.textContent = u ? `${u.inputTokens + u.outputTokens} tokens · $${u.costUsd.toFixed(4)}${u.budgetUsd === null ? '' : ` · $${Math.max(0, u.budgetUsd - u.spentUsd).toFixed(2)} of $${u.budgetUsd.toFixed(2)} left`}` : '';
    if (!this.history.hidden) this.renderHistory();
  }

  private toggleHistory(): void {
    this.history.hidden = !this.history.hidden;
    if (!this.history.hidden) {
      this.post({ type: 'listRuns' });
      this.renderHistory();
    }
  }

  private renderHistory(): void {
    const rows = this.state.runs.map((run) => {
      const open = textButton(run.title || run.runId, () => this.post({ type: 'openRun', runId: run.runId }), { label: `Open run ${run.title} (${run.status})` });
      open.classList.add('bw-link-btn');
      const resumable = run.status === 'waiting_on_human' || run.status === 'interrupted';
      return h('li', { class: 'bw-history-row' }, icon(RUN_STATUS_ICON[run.status]), h('span', { class: 'bw-muted' }, `@${run.agent}`), open, resumable ? textButton('Resume', () => this.post({ type: 'resumeRun', runId: run.runId }), { iconName: 'debug-continue' }) : null);
    });
    this.history.replaceChildren(h('div', { class: 'bw-history-title' }, 'Runs'), rows.length ? h('ul', {}, ...rows) : h('div', { class: 'bw-muted' }, 'No runs yet.'));
  }

  private onLogClick(e: Event): void {
    const target = e.target instanceof Element ? e.target.closest('[data-code-action]') : null;
    if (!target) return;
    const code = target.closest('.bw-code')?.querySelector('code')?.textContent ?? '';
    const language = target.closest('.bw-code')?.getAttribute('data-lang') ?? '';
    const action = target.getAttribute('data-code-action');
    if (action === 'copy') this.post({ type: 'copyCode', code });
    else if (action === 'insert') this.post({ type: 'insertCode', code });
    else if (action === 'apply') this.post({ type: 'applyCode', code, language });
  }
}
