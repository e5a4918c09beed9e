import type { MarkdownRenderer } from './markdown';
import { MarkdownBlockSplitter } from './markdownBlocks';

/** Timer functions, injectable so tests drive time with fake timers. */
export interface RenderScheduler {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const browserScheduler: RenderScheduler = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface StreamingRendererOptions {
  /** Minimum time between two renders, in milliseconds. Defaults to 50 (at most 20 renders per second). */
  readonly minIntervalMs?: number;
  readonly scheduler?: RenderScheduler;
  /** Called after each render with how long it took (ms), for the benchmark. */
  readonly onRender?: (durationMs: number) => void;
}

/**
 * Renders one streaming answer into `container`, throttled. Finished blocks are rendered once and
 * appended; only the open tail element is replaced on each render, so the cost of a render does not
 * grow with the length of the answer, and earlier messages are never touched.
 */
export class StreamingRenderer {
  private readonly splitter = new MarkdownBlockSplitter();
  private readonly tailElement: HTMLElement;
  private readonly minIntervalMs: number;
  private readonly scheduler: RenderScheduler;
  private timer: unknown = undefined;
  private lastRenderAt = -Infinity;
  private dirty = false;
  private renders = 0;

  constructor(
    private readonly container: HTMLElement,
    private readonly markdown: MarkdownRenderer,
    private readonly options: StreamingRendererOptions = {},
  ) {
    this.minIntervalMs = options.minIntervalMs ?? 50;
    this.scheduler = options.scheduler ?? browserScheduler;
    this.tailElement = container.ownerDocument.createElement('div');
    this.tailElement.className = 'bw-md-tail';
    container.appendChild(this.tailElement);
  }

  /** How many renders happened (for tests and the benchmark). */
  get renderCount(): number {
    return this.renders;
  }

  get text(): string {
    return this.splitter.fullText;
  }

  append(delta: string): void {
    if (delta === '') return;
    this.splitter.append(delta);
    this.dirty = true;
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastRenderAt + this.minIntervalMs - this.scheduler.now());
    this.timer = this.scheduler.setTimeout(() => {
      this.timer = undefined;
      this.render();
    }, wait);
  }

  /** Render what is pending now (the stream ended). */
  flush(): void {
    if (this.timer !== undefined) {
      this.scheduler.clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.dirty) this.render();
  }

  /** Drop everything shown: the provider's stream broke and the turn is being redone. */
  discard(): void {
    if (this.timer !== undefined) this.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
    this.dirty = false;
    this.splitter.reset();
    for (const child of [...this.container.children]) if (child !== this.tailElement) child.remove();
    this.tailElement.innerHTML = '';
  }

  dispose(): void {
    if (this.timer !== undefined) this.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private render(): void {
    const started = this.scheduler.now();
    this.dirty = false;
    const { stable, tail } = this.splitter.take();
    if (stable !== '') {
      const block = this.container.ownerDocument.createElement('div');
      block.className = 'bw-md-block';
      block.innerHTML = this.markdown.render(stable);
      this.container.insertBefore(block, this.tailElement);
    }
    this.tailElement.innerHTML = tail === '' ? '' : this.markdown.render(tail);
    this.renders++;
    const now = this.scheduler.now();
    this.lastRenderAt = now;
    this.options.onRender?.(now - started);
  }
}
