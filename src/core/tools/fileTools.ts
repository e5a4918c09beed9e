import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { z } from 'zod';
import { writeFileAtomic } from '../store/atomicFile';
import { allow, askEveryTime, block } from '../sandbox/decisions';
import { protectedWriteReason } from '../sandbox/protectedPaths';
import type { ResolvedPath } from '../sandbox/workspaceSandbox';
import { readIfExists, sha256 } from './fileHashes';
import { looksBinary } from '../sandbox/outputCap';
import { defineTool, workspacePathArg, type ToolJudgement } from './toolDefinition';

/** `write` and `edit`: the two tools that change one file, each approved on its diff and undoable. */

type Refused = Extract<ResolvedPath, { ok: false }>;
const refused = (r: Refused, summary: string): ToolJudgement => ({ restriction: block(r.reason), summary });

/**
 * Shared by write and edit: judge a change from `current` to `proposed` at a resolved path. The card
 * shows the resolved path and offers the diff; the hashes let a resume tell whether it happened; the
 * content it replaces is kept so the run can be undone.
 */
function judgeChange(tool: 'write' | 'edit', r: Extract<ResolvedPath, { ok: true }>, current: string | null, proposed: string, summary: string): ToolJudgement {
  const diff = createTwoFilesPatch(r.relativePath, r.relativePath, current ?? '', proposed, current === null ? 'new file' : 'current', 'proposed');
  const isNew = current === null;
  const approval = {
    tool,
    fields: [{ label: isNew ? 'Create' : tool === 'edit' ? 'Edit' : 'Write', value: r.path }],
    change: { path: r.path, relativePath: r.relativePath, isNew, diff, before: current, after: proposed },
  };
  const precondition = { path: r.path, beforeHash: current === null ? null : sha256(current), afterHash: sha256(proposed) };
  const prot = protectedWriteReason(r.relativePath);
  const restriction =
    prot !== undefined
      ? askEveryTime(`${r.relativePath} is a protected path (.git/, .vscode/, .breakwater/ and .breakwaterignore) — ${prot}`)
      : r.folder === undefined
        ? askEveryTime(`${r.path} is outside the workspace folders`)
        : allow('a change inside the workspace');
  const does = tool === 'write' ? `creates or overwrites ${r.relativePath}` : `changes ${r.relativePath}`;
  return { restriction, does, approval, summary, precondition, previousContent: current, target: r.path, proposedContent: proposed };
}

/** The current text of a file to change, or a reason it cannot be changed as text. */
async function currentText(r: Extract<ResolvedPath, { ok: true }>): Promise<{ text: string | null } | { invalid: string }> {
  if (r.kind === 'directory') return { invalid: `${r.relativePath} is a folder, not a file.` };
  const data = await readIfExists(r.path);
  if (data === null) return { text: null };
  if (looksBinary(data)) return { invalid: `${r.relativePath} is a binary file; write and edit only change text files.` };
  return { text: data.toString('utf8') };
}

async function runChange(judgement: ToolJudgement, verb: string): Promise<{ status: 'ok'; output: string; truncated: false }> {
  const target = judgement.target ?? '';
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  // The file's mode is kept; renaming over a symbolic link replaces the link instead of following it.
  await writeFileAtomic(target, judgement.proposedContent ?? '', { mode: 'preserve', mkdir: false });
  const bytes = Buffer.byteLength(judgement.proposedContent ?? '', 'utf8');
  return { status: 'ok', output: `${verb} ${judgement.approval?.change?.relativePath ?? target} (${bytes} bytes).`, truncated: false };
}

export const writeTool = defineTool({
  name: 'write',
  description: 'Create or replace a file in the workspace with the given content (or append to it). The user approves the change.',
  schema: z.strictObject({
    path: workspacePathArg,
    content: z.string().describe('The full new content of the file (or the text to add with append).'),
    append: z.boolean().optional().describe('Add content at the end instead of replacing the file.'),
  }),
  readOnly: false,
  unverifiable: false,
  async judge(args, ctx) {
    const summary = `${args.append ? 'append to' : 'write'} ${args.path} (${args.content.length} chars)`;
    const r = await ctx.sandbox.resolve(args.path, 'write');
    if (!r.ok) return refused(r, summary);
    const current = await currentText(r);
    if ('invalid' in current) return { restriction: allow('invalid'), summary, invalid: current.invalid };
    const proposed = args.append ? (current.text ?? '') + args.content : args.content;
    return judgeChange('write', r, current.text, proposed, summary);
  },
  run: (_args, _ctx, judgement) => runChange(judgement, 'Wrote'),
});

/** Occurrences of `needle` in `text` (non-overlapping). */
function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length)) count++;
  return count;
}

export const editTool = defineTool({
  name: 'edit',
  description: 'Replace an exact piece of text in a file. old_string must match exactly once (or use replace_all). Read the file first to copy the text exactly.',
  schema: z.strictObject({
    path: workspacePathArg,
    old_string: z.string().min(1).describe('Exact text to replace, including whitespace; it must occur exactly once unless replace_all is true.'),
    new_string: z.string().describe('Replacement text.'),
    replace_all: z.boolean().optional().describe('Replace every occurrence instead of exactly one.'),
  }),
  readOnly: false,
  unverifiable: false,
  async judge(args, ctx) {
    const summary = `edit ${args.path}`;
    const r = await ctx.sandbox.resolve(args.path, 'write');
    if (!r.ok) return refused(r, summary);
    const current = await currentText(r);
    if ('invalid' in current) return { restriction: allow('invalid'), summary, invalid: current.invalid };
    if (current.text === null) return { restriction: allow('invalid'), summary, invalid: `File not found: ${args.path}. Use write to create a new file.` };
    const text = current.text;
    const n = countOccurrences(text, args.old_string);
    if (n === 0) return { restriction: allow('invalid'), summary, invalid: `old_string was not found in ${r.relativePath}. Read the file and copy the text exactly, including whitespace and line breaks.` };
    if (n > 1 && !args.replace_all) {
      return { restriction: allow('invalid'), summary, invalid: `old_string occurs ${n} times in ${r.relativePath}; include more surrounding text so it matches exactly once, or set replace_all to true.` };
    }
    if (args.old_string === args.new_string) return { restriction: allow('invalid'), summary, invalid: 'old_string and new_string are the same; there is nothing to change.' };
    // split/join instead of String.replace: `$&` and friends in new_string must stay literal.
    const proposed = args.replace_all
      ? text.split(args.old_string).join(args.new_string)
      : text.slice(0, text.indexOf(args.old_string)) + args.new_string + text.slice(text.indexOf(args.old_string) + args.old_string.length);
    return judgeChange('edit', r, text, proposed, `${summary} (${args.replace_all ? `${n} replacements` : '1 replacement'})`);
  },
  run: (_args, _ctx, judgement) => runChange(judgement, 'Edited'),
});
