import DOMPurify from 'dompurify';
import { parseHostMessage, type WebviewMessage } from '../protocol/messages';
import { restoreState } from './chatState';
import { ChatView } from './chatView';
import { createMarkdownRenderer } from './markdown';

/** The chat view's browser bundle: validates what comes in, persists state, hands the rest to ChatView. */
interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const state = restoreState(vscode.getState());

let persistTimer: ReturnType<typeof setTimeout> | undefined;
/** Saving on every token would serialize the whole conversation 300 times a second; once a second is enough. */
function persist(): void {
  if (persistTimer !== undefined) return;
  persistTimer = setTimeout(() => {
    persistTimer = undefined;
    vscode.setState(state);
  }, 1000);
}

/** Typed here, so sent as is: the host validates what it receives (each message is validated once, at the boundary). */
function post(message: WebviewMessage): void {
  vscode.postMessage(message);
}

const app = document.getElementById('app');
if (app) {
  const view = new ChatView(app, state, createMarkdownRenderer(DOMPurify), post, persist);
  window.addEventListener('message', (event: MessageEvent) => {
    const parsed = parseHostMessage(event.data);
    if (!parsed.ok) {
      // Dropped, never acted upon; the host logs its own side.
      console.warn(`breakwater: dropped ${parsed.error}`);
      return;
    }
    view.handle(parsed.message);
  });
  window.addEventListener('beforeunload', () => vscode.setState(state));
  post({ type: 'ready' });
  view.focusInput();
}
