import type { HostMessage } from '../../protocol/messages';

/**
 * What the chat showed since the last New chat, so a webview that was hidden (and therefore
 * destroyed: we do not use retainContextWhenHidden) is rebuilt exactly when it comes back.
 * Consecutive text deltas of one run are merged so the log stays small.
 */
export class SessionLog {
  private messages: HostMessage[] = [];

  constructor(private readonly maxMessages = 5000) {}

  get isEmpty(): boolean {
    return this.messages.length === 0;
  }

  record(message: HostMessage): void {
    if (message.type === 'init' || message.type === 'runs' || message.type === 'busy') return;
    if (message.type === 'clear') {
      this.messages = [];
      return;
    }
    const last = this.messages[this.messages.length - 1];
    if (message.type === 'textDelta' && last?.type === 'textDelta' && last.runId === message.runId) {
      this.messages[this.messages.length - 1] = { ...last, text: last.text + message.text };
      return;
    }
    this.messages.push(message);
    if (this.messages.length > this.maxMessages) this.messages.splice(0, this.messages.length - this.maxMessages);
  }

  snapshot(): readonly HostMessage[] {
    return [...this.messages];
  }
}
