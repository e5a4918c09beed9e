import { z } from 'zod';
import type { ApprovalRequest } from './approvalView';

/**
 * Run logs written before approvals were data (up to 0.1.0) stored each tool's own approval record.
 * This reads those records as the views the tools produce today, so an old log replays, shows its
 * cards and resumes. It is frozen: a new tool never needs a line here, because nothing writes the old
 * form any more. A record it does not recognise gives no view (the card then shows the arguments).
 */
const str = z.string();
const oldChange = z.object({ tool: z.enum(['write', 'edit']), path: str, relativePath: str, diff: str, currentContent: str.nullable(), proposedContent: str });
const oldBash = z.object({ tool: z.literal('bash'), command: str, subcommands: z.array(str), cwd: str, unsandboxed: str.optional() });
const oldHttp = z.object({ tool: z.literal('http_request'), method: str, url: str, host: str, resolvedAddress: str.optional() });
const oldSsh = z.object({ tool: z.literal('ssh'), server: str, target: str, command: str, subcommands: z.array(str), unsandboxed: str.optional() });
const oldRead = z.object({ tool: z.enum(['read', 'list_dir', 'glob', 'grep']), path: str, relativePath: str });
const oldApproval = z.discriminatedUnion('tool', [oldChange, oldBash, oldHttp, oldSsh, oldRead]);

export function fromLegacyApproval(record: unknown): ApprovalRequest | undefined {
  const parsed = oldApproval.safeParse(record);
  if (!parsed.success) return undefined;
  const a = parsed.data;
  const unsandboxed = (u: string | undefined) => (u === undefined ? {} : { unsandboxed: u });
  switch (a.tool) {
    case 'write':
    case 'edit': {
      const isNew = a.currentContent === null;
      return {
        tool: a.tool,
        fields: [{ label: isNew ? 'Create' : a.tool === 'edit' ? 'Edit' : 'Write', value: a.path }],
        change: { path: a.path, relativePath: a.relativePath, isNew, diff: a.diff, before: a.currentContent, after: a.proposedContent },
      };
    }
    case 'bash':
      return { tool: 'bash', command: { text: a.command, steps: a.subcommands }, fields: [{ label: 'In', value: a.cwd }], alwaysAllow: 'this command', ...unsandboxed(a.unsandboxed) };
    case 'ssh':
      return { tool: 'ssh', command: { text: a.command, steps: a.subcommands }, fields: [{ label: 'Server', value: `${a.server} (${a.target})` }], alwaysAllow: `this command on ${a.server}`, ...unsandboxed(a.unsandboxed) };
    case 'http_request':
      return {
        tool: 'http_request',
        fields: [
          { label: 'Request', value: `${a.method} ${a.url}` },
          { label: 'Host', value: a.resolvedAddress !== undefined ? `${a.host} (${a.resolvedAddress})` : a.host },
        ],
        alwaysAllow: `requests to ${a.host}`,
      };
    case 'read':
    case 'list_dir':
    case 'glob':
    case 'grep':
      return { tool: a.tool, fields: [{ label: 'Path', value: a.path }] };
  }
}
