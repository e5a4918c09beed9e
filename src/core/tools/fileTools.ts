import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { atomicWriteFile } from '../sandbox/atomicWrite';
import { allow, ask, askEveryTime, block } from '../sandbox/decisions';
import { protectedWriteReason } from '../sandbox/protectedPaths';
import { SecretIndex } from '../sandbox/secretFiles';
import type { ResolvedPath } from '../sandbox/workspaceSandbox';
import { readIfExists, sha256 } from './fileHashes';
import { capText, looksBinary } from './outputCap';
import { errorOutcome, type ToolContext, type ToolDefinition, type ToolJudgement } from './toolDefinition';
import { editArgs, readArgs, TOOL_DESCRIPTIONS, writeArgs } from './toolSchemas';
import type { z } from 'zod';

type Refused = Extract<ResolvedPath, { ok: false }>;

/** The secret rule for files this call reads (by name, through links, and by hard link). */
export const secretIndex = (ctx: ToolContext): SecretIndex => new SecretIndex(ctx.sandbox.realFolders(), ctx.host.ripgrepPath);
const refused = (r: Refused, summary: string): ToolJudgement => ({ restriction: block(r.reason), summary });

export const readTool: ToolDefinition<z.infer<typeof readArgs>> = {
  name: 'read',
  description: TOOL_DESCRIPTIONS.read,
  schema: readArgs,
  readOnly: true,
  unverifiable: false,
  async judge(args, ctx) {
    const summary = `read ${args.path}`;
    const r = await ctx.sandbox.resolve(args.path, 'read');
    if (!r.ok) return refused(r, summary);
    if (r.kind === 'missing') return { restriction: allow('nothing to read'), summary, invalid: `File not found: ${args.path}. Use list_dir or glob to find the right path.` };
    if (r.kind === 'directory') return { restriction: allow('a folder'), summary, invalid: `${args.path} is a folder; use list_dir to see what it contains.` };
    const approval = { tool: 'read' as const, path: r.path, relativePath: r.relativePath };
    const secret = await secretIndex(ctx).reason({ realPath: r.path, asGiven: args.path });
    if (secret !== undefined) return { restriction: askEveryTime(`reading ${r.relativePath}: ${secret}`), approval, summary, target: r.path };
    if (r.folder === undefined) return { restriction: ask(`${r.path} is outside the workspace folders`), approval, summary, target: r.path };
    return { restriction: allow('reading inside the workspace'), summary, target: r.path };
  },
  async run(args, ctx, judgement) {
    const data = await readIfExists(judgement.target ?? '');
    if (data === null) return errorOutcome(`File not found: ${args.path}.`);
    if (looksBinary(data)) return { status: 'ok', output: `${args.path} is a binary file (${data.length} bytes); its content is not shown.`, truncated: false };
    const encoding = args.encoding === 'utf-8' || args.encoding === undefined ? 'utf8' : args.encoding;
    const capped = capText(data.toString(encoding), ctx.cap, 'read a smaller file or use grep to find the lines you need');
    return { status: 'ok', output: capped.text, truncated: capped.truncated };
  },
};

/** Shared by write and edit: judge a change from `current` to `proposed` at a resolved path. */
function judgeChange(tool: 'write' | 'edit', r: Extract<ResolvedPath, { ok: true }>, current: string | null, proposed: string, summary: string): ToolJudgement {
  const diff = createTwoFilesPatch(r.relativePath, r.relativePath, current ?? '', proposed, current === null ? 'new file' : 'current', 'proposed');
  const approval = { tool, path: r.path, relativePath: r.relativePath, diff, currentContent: current, proposedContent: proposed };
  const precondition = { path: r.path, beforeHash: current === null ? null : sha256(current), afterHash: sha256(proposed) };
  const prot = protectedWriteReason(r.relativePath);
  const restriction =
    prot !== undefined ? askEveryTime(`${tool} ${r.relativePath}: ${prot}`) : r.folder === undefined ? askEveryTime(`${r.path} is outside the workspace folders`) : allow('a change inside the workspace');
  return { restriction, approval, summary, precondition, previousContent: current, target: r.path, proposedContent: proposed };
}

/** The current text of a file to change, or a reason it cannot be changed as text. */
async function currentText(r: Extract<ResolvedPath, { ok: true }>): Promise<{ text: string | null } | { invalid: string }> {
  if (r.kind === 'directory') return { invalid: `${r.relativePath} is a folder, not a file.` };
  const data = await readIfExists(r.path);
  if (data === null) return { text: null };
  if (looksBinary(data)) return { invalid: `${r.relativePath} is a binary file; write and edit only change text files.` };
  return { text: data.toString('utf8') };
}

async function runChange(ctx: ToolContext, judgement: ToolJudgement, verb: string): Promise<{ status: 'ok'; output: string; truncated: false }> {
  const target = judgement.target ?? '';
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  await atomicWriteFile(target, judgement.proposedContent ?? '');
  const bytes = Buffer.byteLength(judgement.proposedContent ?? '', 'utf8');
  return { status: 'ok', output: `${verb} ${judgement.approval && 'relativePath' in judgement.approval ? judgement.approval.relativePath : target} (${bytes} bytes).`, truncated: false };
}

export const writeTool: ToolDefinition<z.infer<typeof writeArgs>> = {
  name: 'write',
  description: TOOL_DESCRIPTIONS.write,
  schema: writeArgs,
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
  run: (_args, ctx, judgement) => runChange(ctx, judgement, 'Wrote'),
};

/** Occurrences of `needle` in `text` (non-overlapping). */
function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length)) count++;
  return count;
}

export const editTool: ToolDefinition<z.infer<typeof editArgs>> = {
  name: 'edit',
  description: TOOL_DESCRIPTIONS.edit,
  schema: editArgs,
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
  run: (_args, ctx, judgement) => runChange(ctx, judgement, 'Edited'),
};
