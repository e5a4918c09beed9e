import * as fs from 'node:fs';
import * as path from 'node:path';
import type { z } from 'zod';
import { allow, block } from '../sandbox/decisions';
import { capText } from './outputCap';
import { runRipgrep } from './ripgrep';
import { errorOutcome, type ToolContext, type ToolDefinition, type ToolJudgement } from './toolDefinition';
import { globArgs, grepArgs, listDirArgs, TOOL_DESCRIPTIONS } from './toolSchemas';

/** Judges the folder (or file) a listing or search starts from; only inside the workspace. */
async function judgeRoot(input: string, ctx: ToolContext, summary: string, mustBeFolder: boolean): Promise<ToolJudgement> {
  const r = await ctx.sandbox.resolve(input, 'read');
  if (!r.ok) return { restriction: block(r.reason), summary };
  if (r.folder === undefined) return { restriction: block(`${input} is outside the workspace folders; listing and searching stay inside them.`), summary };
  if (r.kind === 'missing') return { restriction: allow('invalid'), summary, invalid: `Not found: ${input}.` };
  if (mustBeFolder && r.kind !== 'directory') return { restriction: allow('invalid'), summary, invalid: `${input} is a file, not a folder.` };
  return { restriction: allow('reading inside the workspace'), summary, target: r.path, approval: { tool: 'read', path: r.path, relativePath: r.relativePath } };
}

/** The workspace folder holding `target` and its path relative to it (forward slashes). */
function locate(ctx: ToolContext, target: string): { folder: string; rel: string } {
  const folder = ctx.sandbox.realFolders().filter((f) => target === f || target.startsWith(f + path.sep)).sort((a, b) => b.length - a.length)[0] ?? target;
  return { folder, rel: path.relative(folder, target).split(path.sep).join('/') };
}

export const listDirTool: ToolDefinition<z.infer<typeof listDirArgs>> = {
  name: 'list_dir',
  description: TOOL_DESCRIPTIONS.list_dir,
  schema: listDirArgs,
  readOnly: true,
  unverifiable: false,
  judge: (args, ctx) => judgeRoot(args.path, ctx, `list ${args.path}${args.recursive ? ' (recursive)' : ''}`, true),
  async run(args, ctx, judgement) {
    const root = judgement.target ?? '';
    const entries: string[] = [];
    const limit = ctx.cap.maxLines;
    let more = false;
    const walk = async (dir: string): Promise<void> => {
      const items = (await fs.promises.readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
      for (const item of items) {
        if (!args.include_hidden && item.name.startsWith('.')) continue;
        const full = path.join(dir, item.name);
        if (ctx.sandbox.isIgnoredPath(full, item.isDirectory())) continue;
        if (entries.length >= limit) {
          more = true;
          return;
        }
        const rel = path.relative(root, full).split(path.sep).join('/');
        const type = item.isSymbolicLink() ? 'l' : item.isDirectory() ? 'd' : item.isFile() ? 'f' : '?';
        entries.push(`[${type}] ${rel}${type === 'd' ? '/' : ''}`);
        // Links are listed, never descended into: they may lead outside the workspace.
        if (args.recursive && item.isDirectory()) await walk(full);
      }
    };
    await walk(root);
    if (entries.length === 0) return { status: 'ok', output: '(empty folder)', truncated: false };
    const capped = capText(entries.join('\n'), ctx.cap, 'list a subfolder or use glob');
    const marker = more ? `\n[listing truncated after ${limit} entries; list a subfolder or use glob]` : '';
    return { status: 'ok', output: capped.text + marker, truncated: capped.truncated || more };
  },
};

/** Drops ripgrep output lines whose path is matched by .breakwaterignore (rg's own exclusion is a speed-up, this is the guarantee). */
function filterIgnored(ctx: ToolContext, folder: string, lines: string[], pathOf: (line: string) => string): string[] {
  return lines.filter((line) => line.length > 0 && !ctx.ignoreRules.isIgnored(folder, pathOf(line)));
}

export const globTool: ToolDefinition<z.infer<typeof globArgs>> = {
  name: 'glob',
  description: TOOL_DESCRIPTIONS.glob,
  schema: globArgs,
  readOnly: true,
  unverifiable: false,
  judge: (args, ctx) => judgeRoot(args.base_dir ?? '.', ctx, `glob ${args.pattern}${args.base_dir ? ` in ${args.base_dir}` : ''}`, true),
  async run(args, ctx, judgement, signal) {
    const base = judgement.target ?? '';
    const { folder, rel } = locate(ctx, base);
    const rgArgs = ['--files', '--no-require-git', '--no-messages', '--glob', args.pattern];
    const ignoreFile = ctx.ignoreRules.ignoreFileOf(folder);
    // Ignore-file patterns are relative to rg's cwd, so they are handed over only when searching from the folder root.
    if (ignoreFile !== undefined && rel === '') rgArgs.push('--ignore-file', ignoreFile);
    const result = await runRipgrep(ctx.host.ripgrepPath, rgArgs, base, ctx.cap.maxBytes * 4, signal);
    if (!result.ok) return errorOutcome(result.error);
    const prefix = rel === '' ? '' : `${rel}/`;
    const files = filterIgnored(ctx, folder, result.stdout.split('\n').map((l) => prefix + l.replace(/^\.\//, '')), (l) => l).sort();
    if (files.length === 0) return { status: 'ok', output: `No files match ${args.pattern}.`, truncated: false };
    const capped = capText(`Found ${files.length}${result.overflowed ? '+' : ''} files:\n${files.join('\n')}`, ctx.cap, 'use a narrower pattern');
    return { status: 'ok', output: capped.text, truncated: capped.truncated || result.overflowed };
  },
};

export const grepTool: ToolDefinition<z.infer<typeof grepArgs>> = {
  name: 'grep',
  description: TOOL_DESCRIPTIONS.grep,
  schema: grepArgs,
  readOnly: true,
  unverifiable: false,
  judge: (args, ctx) => judgeRoot(args.path, ctx, `grep ${JSON.stringify(args.pattern)} in ${args.path}`, false),
  async run(args, ctx, judgement, signal) {
    const target = judgement.target ?? '';
    const { folder, rel } = locate(ctx, target);
    const rgArgs = ['--line-number', '--no-heading', '--with-filename', '--null', '--color', 'never', '--no-require-git', '--no-messages', '--max-columns', '400', '--max-columns-preview'];
    const ignoreFile = ctx.ignoreRules.ignoreFileOf(folder);
    if (ignoreFile !== undefined) rgArgs.push('--ignore-file', ignoreFile);
    const isDir = (await fs.promises.stat(target)).isDirectory();
    if (isDir && !args.recursive) rgArgs.push('--max-depth', '1');
    rgArgs.push('-e', args.pattern, '--', rel === '' ? '.' : rel);
    const result = await runRipgrep(ctx.host.ripgrepPath, rgArgs, folder, ctx.cap.maxBytes * 4, signal);
    if (!result.ok) return errorOutcome(result.error);
    const lines = filterIgnored(ctx, folder, result.stdout.split('\n'), (l) => l.slice(0, Math.max(0, l.indexOf('\0'))).replace(/^\.\//, ''));
    if (lines.length === 0) return { status: 'ok', output: `No matches for ${args.pattern}.`, truncated: false };
    const text = lines.map((l) => l.replace(/^\.\//, '').replace('\0', ':')).join('\n');
    const capped = capText(text, ctx.cap, 'use a more specific pattern or path');
    return { status: 'ok', output: capped.text, truncated: capped.truncated || result.overflowed };
  },
};
