/** A tiny element builder: text goes in as text nodes, never as HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return el;
}

export function icon(name: string, label?: string): HTMLElement {
  return h('i', { class: `codicon codicon-${name}`, 'aria-hidden': label === undefined ? 'true' : undefined, 'aria-label': label, role: label === undefined ? undefined : 'img' });
}

export function iconButton(name: string, label: string, onClick: () => void, extraClass = ''): HTMLButtonElement {
  const button = h('button', { class: `bw-icon-btn ${extraClass}`.trim(), title: label, 'aria-label': label, type: 'button' }, icon(name));
  button.addEventListener('click', onClick);
  return button;
}

export function textButton(text: string, onClick: () => void, options: { primary?: boolean; iconName?: string; label?: string } = {}): HTMLButtonElement {
  const button = h('button', { class: options.primary ? 'bw-btn bw-btn-primary' : 'bw-btn', type: 'button', 'aria-label': options.label }, options.iconName ? icon(options.iconName) : null, text);
  button.addEventListener('click', onClick);
  return button;
}
