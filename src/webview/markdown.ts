import MarkdownIt from 'markdown-it';
import type { DOMPurify, Config } from 'dompurify';
import { highlightCode } from './highlight';

/**
 * Markdown → safe HTML for answers from a model (untrusted text). Two layers: markdown-it with
 * `html: false` never emits raw HTML and refuses `javascript:`/`vbscript:`/`file:`/`data:` links,
 * and DOMPurify then strips anything that still looks active. Images are never loaded: a remote
 * image would tell its server what the user is reading (and a crafted URL can carry workspace data
 * out), so an image becomes its alt text.
 */

/** Links that may stay clickable. Everything else (javascript:, data:, file:, command:, vscode:) loses its href. */
const SAFE_LINK = /^(?:https?:|mailto:|#)/i;

const PURIFY_CONFIG: Config = {
  FORBID_TAGS: ['img', 'svg', 'math', 'style', 'form', 'input', 'textarea', 'select', 'iframe', 'frame', 'object', 'embed', 'video', 'audio', 'source', 'picture', 'link', 'meta', 'base'],
  FORBID_ATTR: ['style', 'srcset', 'src', 'action', 'formaction', 'background', 'poster'],
  ALLOWED_URI_REGEXP: SAFE_LINK,
  ALLOW_DATA_ATTR: false,
  ADD_ATTR: ['target'],
};

export interface MarkdownRenderer {
  /** Renders a whole markdown document to sanitized HTML. */
  render(markdown: string): string;
  /** Sanitizes HTML produced elsewhere (defence in depth for anything set as innerHTML). */
  sanitize(html: string): string;
}

/** `purify` is DOMPurify bound to a window: the webview's own, or jsdom's in tests. */
export function createMarkdownRenderer(purify: DOMPurify): MarkdownRenderer {
  const md = new MarkdownIt({ html: false, linkify: true, breaks: false, typographer: false });

  md.renderer.rules.image = (tokens, idx) => {
    const alt = md.utils.escapeHtml(tokens[idx]?.content || 'image');
    return `<span class="bw-image-blocked" title="Images are not loaded">[${alt}]</span>`;
  };

  md.renderer.rules.fence = (tokens, idx) => {
    const token = tokens[idx];
    if (token === undefined) return '';
    const language = (token.info.trim().split(/\s+/)[0] ?? '').toLowerCase();
    const highlighted = highlightCode(token.content, language, md.utils.escapeHtml);
    const label = md.utils.escapeHtml(language || 'text');
    return (
      `<div class="bw-code" data-lang="${label}">` +
      `<div class="bw-code-bar"><span class="bw-code-lang">${label}</span>` +
      `<button class="bw-icon-btn" data-code-action="copy" title="Copy" aria-label="Copy code"><i class="codicon codicon-copy"></i></button>` +
      `<button class="bw-icon-btn" data-code-action="insert" title="Insert at Cursor" aria-label="Insert code at cursor"><i class="codicon codicon-insert"></i></button>` +
      `<button class="bw-icon-btn" data-code-action="apply" title="Apply to the active file (asks for approval)" aria-label="Apply code to the active file"><i class="codicon codicon-git-pull-request-go-to-changes"></i></button>` +
      `</div><pre><code class="hljs">${highlighted}</code></pre></div>`
    );
  };

  // Links open outside the webview; mark them so the host's link handler treats them as external.
  const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
  md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
    tokens[idx]?.attrSet('rel', 'noopener noreferrer');
    return defaultLinkOpen(tokens, idx, options, env, self);
  };

  purify.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A') {
      const href = node.getAttribute('href');
      if (href !== null && !SAFE_LINK.test(href.trim())) node.removeAttribute('href');
      node.removeAttribute('target');
    }
  });
  // data-code-action and data-lang come only from our own fence renderer; ALLOW_DATA_ATTR is off for everything else.
  purify.addHook('uponSanitizeAttribute', (_node, data) => {
    if (data.attrName === 'data-code-action' || data.attrName === 'data-lang') data.forceKeepAttr = /^[a-z0-9+#._-]{0,50}$/i.test(data.attrValue);
  });

  const sanitize = (html: string): string => purify.sanitize(html, { ...PURIFY_CONFIG, RETURN_TRUSTED_TYPE: false });
  return {
    render: (markdown) => sanitize(md.render(markdown)),
    sanitize,
  };
}
