/**
 * Finds where a growing markdown text can be cut into blocks that will never change again, so a
 * streaming answer re-renders only its open tail: per-render work stays bounded by the size of the
 * last block instead of growing with the answer.
 *
 * A cut is safe after a blank line outside a fenced code block, or right after a closing fence.
 * Only complete lines are considered (the last line may still be growing).
 */

const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** Returns the offset (≤ text.length, relative to `text`) up to which the text is made of finished blocks; 0 if none. */
export function findStableBoundary(text: string): number {
  let boundary = 0;
  let fence: string | null = null;
  let lineStart = 0;
  while (true) {
    const newline = text.indexOf('\n', lineStart);
    if (newline < 0) break;
    const line = text.slice(lineStart, newline);
    const next = newline + 1;
    const marker = FENCE.exec(line)?.[1];
    if (fence !== null) {
      // A closing fence uses the same character, at least as long, and nothing after it but spaces.
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length && line.slice(line.indexOf(marker) + marker.length).trim() === '') {
        fence = null;
        boundary = next;
      }
    } else if (marker !== undefined) {
      fence = marker;
    } else if (line.trim() === '') {
      boundary = next;
    }
    lineStart = next;
  }
  return boundary;
}

/**
 * Splits a streaming markdown text into frozen blocks and an open tail.
 * `take()` returns the chunk that just became stable (to render once and keep) and the current tail.
 */
export class MarkdownBlockSplitter {
  private text = '';
  private frozen = 0;

  append(delta: string): void {
    this.text += delta;
  }

  /** Everything received so far. */
  get fullText(): string {
    return this.text;
  }

  /** The newly stable chunk (possibly empty) and the still-open tail. */
  take(): { readonly stable: string; readonly tail: string } {
    const rest = this.text.slice(this.frozen);
    const cut = findStableBoundary(rest);
    this.frozen += cut;
    return { stable: rest.slice(0, cut), tail: rest.slice(cut) };
  }

  /** Forget everything (the turn was discarded). */
  reset(): void {
    this.text = '';
    this.frozen = 0;
  }
}
