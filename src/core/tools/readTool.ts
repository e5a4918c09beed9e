import { z } from 'zod';
import { allow, ask, askEveryTime, block } from '../sandbox/decisions';
import { secretReadReason } from '../sandbox/protectedPaths';
import { SecretIndex } from '../sandbox/secretFiles';
import { readBounded, type TextEncodingName } from './boundedRead';
import { defineTool, errorOutcome, workspacePathArg, type ToolContext } from './toolDefinition';

/** The secret rule for files this call reads (by name, through links, and by hard link). */
export const secretIndex = (ctx: ToolContext): SecretIndex => new SecretIndex(ctx.sandbox.realFolders(), ctx.host.ripgrepPath);

/**
 * The ask-every-time reason for reading a likely secret, naming the rule: "<name> may hold secrets
 * (secret-file rule: …)"; `found` is what the secret index said when the name alone does not say it.
 */
export function secretRuleReason(relativePath: string, found: string): string {
  return `${secretReadReason(relativePath) ?? found} (secret-file rule: .env*, *.pem, *.key, id_rsa*)`;
}

const encodingArg = z.enum(['utf-8', 'utf8', 'latin1', 'ascii', 'utf16le']);
/** The encodings the model may name, and how Node calls each. */
const ENCODINGS: Record<z.infer<typeof encodingArg>, TextEncodingName> = { 'utf-8': 'utf8', utf8: 'utf8', latin1: 'latin1', ascii: 'ascii', utf16le: 'utf16le' };

export const readTool = defineTool({
  name: 'read',
  description: 'Read a text file from the workspace. Large files are truncated with a marker; binary files are reported, not shown.',
  schema: z.strictObject({
    path: workspacePathArg,
    encoding: encodingArg.optional().describe('Text encoding; defaults to utf-8.'),
  }),
  readOnly: true,
  unverifiable: false,
  async judge(args, ctx) {
    const summary = `read ${args.path}`;
    const r = await ctx.sandbox.resolve(args.path, 'read');
    if (!r.ok) return { restriction: block(r.reason), summary };
    if (r.kind === 'missing') return { restriction: allow('nothing to read'), summary, invalid: `File not found: ${args.path}. Use list_dir or glob to find the right path.` };
    if (r.kind === 'directory') return { restriction: allow('a folder'), summary, invalid: `${args.path} is a folder; use list_dir to see what it contains.` };
    const approval = { tool: 'read', fields: [{ label: 'Path', value: r.path }] };
    const secret = await secretIndex(ctx).reason({ realPath: r.path, asGiven: args.path });
    if (secret !== undefined) return { restriction: askEveryTime(secretRuleReason(r.relativePath, secret)), approval, summary, target: r.path };
    if (r.folder === undefined) return { restriction: ask(`${r.path} is outside the workspace folders`), approval, summary, target: r.path };
    return { restriction: allow('reading inside the workspace'), summary, target: r.path };
  },
  async run(args, ctx, judgement, signal) {
    // Only the part that is returned is read: a 600 MB file costs the cap, not 600 MB (or a string too long to make).
    const got = await readBounded(judgement.target ?? '', ctx.cap, args.encoding === undefined ? undefined : ENCODINGS[args.encoding], 'read a smaller file or use grep to find the lines you need', signal);
    switch (got.kind) {
      case 'missing':
        return errorOutcome(`File not found: ${args.path}.`);
      case 'binary':
        return { status: 'ok', output: `${args.path} is a binary file (${got.size} bytes); its content is not shown.`, truncated: false };
      case 'text':
        return { status: 'ok', output: got.text, truncated: got.truncated };
    }
  },
});
