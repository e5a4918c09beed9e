/** The chat's slash commands (`/all`, `/costs`, `/status`, …). */
export type SlashCommand =
  | { readonly kind: 'all'; readonly prompt: string }
  | { readonly kind: 'costs' }
  | { readonly kind: 'health' }
  | { readonly kind: 'status' }
  | { readonly kind: 'logs'; readonly agent: string | null }
  | { readonly kind: 'reload' }
  | { readonly kind: 'help' }
  | { readonly kind: 'unknown'; readonly name: string };

export const SLASH_HELP = [
  '| command | what it does |',
  '| --- | --- |',
  '| `/all <prompt>` | ask every agent in parallel |',
  '| `/costs` | costs by agent and model against the budget |',
  '| `/health` | check every provider |',
  '| `/status` | breakers, costs and runs |',
  '| `/logs <agent>` | the agent\'s latest run |',
  '| `/reload` | reload agents.yaml |',
].join('\n');

/** Parses `/name args`; null when the text is not a slash command. */
export function parseSlashCommand(text: string): SlashCommand | null {
  const match = /^\/(\w+)\s*([\s\S]*)$/.exec(text.trim());
  if (!match) return null;
  const [, name = '', rest = ''] = match;
  const arg = rest.trim();
  switch (name.toLowerCase()) {
    case 'all':
      return { kind: 'all', prompt: arg };
    case 'costs':
      return { kind: 'costs' };
    case 'health':
      return { kind: 'health' };
    case 'status':
      return { kind: 'status' };
    case 'logs':
      return { kind: 'logs', agent: arg === '' ? null : arg };
    case 'reload':
      return { kind: 'reload' };
    case 'help':
      return { kind: 'help' };
    default:
      return { kind: 'unknown', name };
  }
}
