import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { allow, askEveryTime, block } from '../sandbox/decisions';
import { isInsideFolder } from '../sandbox/pathForms';
import { SecretIndex } from '../sandbox/secretFiles';
import { capText } from '../sandbox/outputCap';
import { secretIndex, secretRuleReason } from './readTool';
import { runRipgrep } from './ripgrep';
import { defineTool, errorOutcome, workspacePathArg, type ToolContext, type ToolJudgement } from './toolDefinition';

/** `list_dir`, `glob` and `grep`: the read-only tools that list and search inside the workspace folders. */

/**
 * Judges the folder (or file) a listing or search starts from; only inside the workspace. A search
 * aimed at one file reads it like `read` does, so a secret file there asks every time.
 */
async function judgeRoot(tool: 'list_dir' | 'glob' | 'grep', input: string, ctx: ToolContext, summary: string, mustBeFolder: boolean): Promise<ToolJudgement> {
  const r = await ctx.sandbox.resolve(input, 'read');
  if (!r.ok) return { restriction: block(r.reason), summary };
  if (r.folder === undefined) return { restriction: block(`${input} is outside the workspace folders; listing and searching stay inside them.`), summary };
  if (r.kind === 'missing') return { restriction: allow('invalid'), summary, invalid: `Not found: ${input}.` };
  if (mustBeFolder && r.kind !== 'directory') return { restriction: allow('invalid'), summary, invalid: `${input} is a file, not a folder.` };
  const approval = { tool, fields: [{ label: 'Path', value: r.path }] };
  if (r.kind === 'file') {
    const secret = await secretIndex(ctx).reason({ realPath: r.path, asGiven: input });
    if (secret !== undefined) return { restriction: askEveryTime(secretRuleReason(r.relativePath, secret)), summary, target: r.path, approval };
  }
  return { restriction: allow('reading inside the workspace'), summary, target: r.path, approval };
}

/** The workspace folder holding `target` and its path relative to it (forward slashes). */
function locate(ctx: ToolContext, target: string): { folder: string; rel: string } {
  const folder = ctx.sandbox.realFolders().filter((f) => target === f || target.startsWith(f + path.sep)).sort((a, b) => b.length - a.length)[0] ?? target;
  return { folder, rel: path.relative(folder, target).split(path.sep).join('/') };
}

export const listDirTool = defineTool({
  name: 'list_dir',
  description: 'List a folder in the workspace: [d] folders, [f] files, [l] links. Ignored files are not shown.',
  schema: z.strictObject({
    path: workspacePathArg.default('.'),
    recursive: z.boolean().optional().describe('Include everything below, not only direct entries.'),
    include_hidden: z.boolean().optional().describe('Include names starting with a dot.'),
  }),
  readOnly: true,
  unverifiable: false,
  judge: (args, ctx) => judgeRoot('list_dir', args.path, ctx, `list ${args.path}${args.recursive ? ' (recursive)' : ''}`, true),
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
        if (ctx.sandbox.isHiddenPath(full, item.isDirectory())) continue;
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
});

/**
 * Drops ripgrep output lines whose path is matched by .breakwaterignore or lies in the run store
 * (rg's own exclusion is a speed-up, this is the guarantee).
 */
function filterHidden(ctx: ToolContext, folder: string, lines: string[], pathOf: (line: string) => string): string[] {
  const stores = ctx.sandbox.storeRoots();
  return lines.filter((line) => {
    if (line.length === 0) return false;
    const rel = pathOf(line);
    if (stores.some((root) => isInsideFolder(root, path.resolve(folder, rel), path))) return false;
    return !ctx.ignoreRules.isIgnored(folder, rel);
  });
}

export const globTool = defineTool({
  name: 'glob',
  description: 'Find files by glob pattern (respects .gitignore and .breakwaterignore). Returns workspace-relative paths.',
  schema: z.strictObject({
    pattern: z.string().min(1).describe('Glob such as "src/**/*.ts", matched relative to base_dir.'),
    base_dir: z.string().min(1).optional().describe('Folder to search from; defaults to the workspace folder.'),
  }),
  readOnly: true,
  unverifiable: false,
  judge: (args, ctx) => judgeRoot('glob', args.base_dir ?? '.', ctx, `glob ${args.pattern}${args.base_dir ? ` in ${args.base_dir}` : ''}`, true),
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
    const files = filterHidden(ctx, folder, result.stdout.split('\n').map((l) => prefix + l.replace(/^\.\//, '')), (l) => l).sort();
    if (files.length === 0) return { status: 'ok', output: `No files match ${args.pattern}.`, truncated: false };
    const capped = capText(`Found ${files.length}${result.overflowed ? '+' : ''} files:\n${files.join('\n')}`, ctx.cap, 'use a narrower pattern');
    return { status: 'ok', output: capped.text, truncated: capped.truncated || result.overflowed };
  },
});

export const grepTool = defineTool({
  name: 'grep',
  description:
    'Search file contents with a regular expression (ripgrep). Returns path:line:text. Respects .gitignore and .breakwaterignore. Lines of secret files (.env*, *.pem, *.key, id_rsa*) are left out of folder searches; searching one such file asks the user.',
  schema: z.strictObject({
    pattern: z.string().min(1).describe('Regular expression (ripgrep syntax).'),
    path: workspacePathArg.describe('File or folder to search.'),
    recursive: z.boolean().optional().describe('Search folders below path too (default: only files directly in path).'),
  }),
  readOnly: true,
  unverifiable: false,
  judge: (args, ctx) => judgeRoot('grep', args.path, ctx, `grep ${JSON.stringify(args.pattern)} in ${args.path}`, false),
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
    const fileOf = (l: string) => l.slice(0, Math.max(0, l.indexOf('\0'))).replace(/^\.\//, '');
    const visible = filterHidden(ctx, folder, result.stdout.split('\n'), fileOf);
    // A folder search never returns a secret file's lines; it says which files it left out instead.
    const secrets = await secretMatches(ctx, folder, [...new Set(visible.map(fileOf))], isDir ? new Set() : new Set([rel]), signal);
    const lines = visible.filter((l) => !secrets.has(fileOf(l)));
    const note = secrets.size === 0 ? '' : `\n[matching lines of ${secrets.size} secret file(s) are not shown: ${[...secrets].sort().join(', ')}. Secret files (.env*, *.pem, *.key, id_rsa*) are searched only one at a time (grep or read with that file as path), which asks the user every time.]`;
    if (lines.length === 0) return { status: 'ok', output: `No matches for ${args.pattern}.${note}`, truncated: false };
    const text = lines.map((l) => l.replace(/^\.\//, '').replace('\0', ':')).join('\n');
    const capped = capText(text, ctx.cap, 'use a more specific pattern or path');
    return { status: 'ok', output: capped.text + note, truncated: capped.truncated || result.overflowed };
  },
});

/**
 * The matched files (relative to `folder`) that fall under the secret-file rule. `approved` holds
 * the one file a search was aimed at when the user approved reading it (ask every time).
 */
async function secretMatches(ctx: ToolContext, folder: string, files: readonly string[], approved: ReadonlySet<string>, signal: AbortSignal): Promise<Set<string>> {
  const index = new SecretIndex(ctx.sandbox.realFolders(), ctx.host.ripgrepPath, signal);
  const out = new Set<string>();
  for (const rel of files) {
    if (approved.has(rel)) continue;
    if ((await index.reason({ realPath: path.resolve(folder, rel), asGiven: rel })) !== undefined) out.add(rel);
  }
  return out;
}
