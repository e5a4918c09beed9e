import { z } from 'zod';

/**
 * The arguments each tool accepts (PRODUCT.md, "Tool names and parameters"). The JSON Schema the
 * model sees is derived from these with `z.toJSONSchema`; the descriptions are written for models.
 */
const path = z.string().min(1).describe('Path relative to the workspace folder (or absolute inside it).');

export const readArgs = z.strictObject({
  path,
  encoding: z.enum(['utf-8', 'utf8', 'latin1', 'ascii', 'utf16le']).optional().describe('Text encoding; defaults to utf-8.'),
});
export const writeArgs = z.strictObject({
  path,
  content: z.string().describe('The full new content of the file (or the text to add with append).'),
  append: z.boolean().optional().describe('Add content at the end instead of replacing the file.'),
});
export const editArgs = z.strictObject({
  path,
  old_string: z.string().min(1).describe('Exact text to replace, including whitespace; it must occur exactly once unless replace_all is true.'),
  new_string: z.string().describe('Replacement text.'),
  replace_all: z.boolean().optional().describe('Replace every occurrence instead of exactly one.'),
});
export const listDirArgs = z.strictObject({
  path: path.default('.'),
  recursive: z.boolean().optional().describe('Include everything below, not only direct entries.'),
  include_hidden: z.boolean().optional().describe('Include names starting with a dot.'),
});
export const globArgs = z.strictObject({
  pattern: z.string().min(1).describe('Glob such as "src/**/*.ts", matched relative to base_dir.'),
  base_dir: z.string().min(1).optional().describe('Folder to search from; defaults to the workspace folder.'),
});
export const grepArgs = z.strictObject({
  pattern: z.string().min(1).describe('Regular expression (ripgrep syntax).'),
  path: path.describe('File or folder to search.'),
  recursive: z.boolean().optional().describe('Search folders below path too (default: only files directly in path).'),
});
export const bashArgs = z.strictObject({
  command: z.string().min(1).describe('A bash command line; runs with stdin closed and a time limit.'),
  working_dir: z.string().min(1).optional().describe('Folder to run in, inside the workspace; defaults to the workspace folder.'),
});
export const httpArgs = z.strictObject({
  url: z.string().min(1).describe('http:// or https:// URL.'),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']).optional().describe('Defaults to GET.'),
  headers: z.record(z.string(), z.string()).optional().describe('Request headers.'),
  body: z.string().optional().describe('Request body.'),
  timeout: z.number().positive().max(120).optional().describe('Seconds before giving up; defaults to 30, at most 120.'),
});
export const sshArgs = z.strictObject({
  host: z.string().min(1).describe('Name of a server from the configuration (not a hostname).'),
  command: z.string().min(1).describe('Command to run on that server.'),
});

export const TOOL_DESCRIPTIONS = {
  read: 'Read a text file from the workspace. Large files are truncated with a marker; binary files are reported, not shown.',
  write: 'Create or replace a file in the workspace with the given content (or append to it). The user approves the change.',
  edit: 'Replace an exact piece of text in a file. old_string must match exactly once (or use replace_all). Read the file first to copy the text exactly.',
  list_dir: 'List a folder in the workspace: [d] folders, [f] files, [l] links. Ignored files are not shown.',
  glob: 'Find files by glob pattern (respects .gitignore and .breakwaterignore). Returns workspace-relative paths.',
  grep: 'Search file contents with a regular expression (ripgrep). Returns path:line:text. Respects .gitignore and .breakwaterignore. Lines of secret files (.env*, *.pem, *.key, id_rsa*) are left out of folder searches; searching one such file asks the user.',
  bash: 'Run a bash command in the workspace. The user approves commands; dangerous ones are refused. Output is capped; stdin is closed.',
  http_request: 'Make an HTTP(S) request and return status, headers and body (capped). The user approves requests to new domains.',
  ssh: 'Run a command on a configured server (by its name in the configuration). The user approves it.',
} as const;
