import type { ShellWord } from './shellScript';

/**
 * git runs other programs in many ways the command line only hints at: `-c`/`--config-env` set any
 * configuration (an alias `!cmd`, `core.fsmonitor`, `core.sshCommand`, `core.pager`, filters…),
 * `--exec-path` picks the programs behind subcommands, `--git-dir`/`--work-tree` point at a
 * repository whose config the agent may have written, an unknown subcommand is an alias or a
 * `git-NAME` program, and several subcommands take a command to run. Each of these asks every time.
 */

/** git's own subcommands (porcelain and the plumbing agents use). Anything else may be an alias. */
const KNOWN = new Set([
  'add', 'am', 'annotate', 'apply', 'archive', 'bisect', 'blame', 'branch', 'bundle', 'cat-file', 'check-attr', 'check-ignore', 'check-mailmap',
  'check-ref-format', 'checkout', 'checkout-index', 'cherry', 'cherry-pick', 'clean', 'clone', 'commit', 'commit-graph', 'commit-tree', 'config', 'count-objects',
  'describe', 'diff', 'diff-files', 'diff-index', 'diff-tree', 'difftool', 'fetch', 'fetch-pack', 'filter-branch', 'for-each-ref', 'format-patch', 'fsck', 'gc', 'grep',
  'hash-object', 'help', 'init', 'instaweb', 'log', 'ls-files', 'ls-remote', 'ls-tree', 'maintenance', 'merge', 'merge-base', 'merge-file', 'merge-tree', 'mergetool',
  'mktag', 'mktree', 'mv', 'name-rev', 'notes', 'pack-objects', 'prune', 'pull', 'push', 'range-diff', 'read-tree', 'rebase', 'reflog', 'remote', 'repack', 'replace',
  'request-pull', 'rerere', 'reset', 'restore', 'rev-list', 'rev-parse', 'revert', 'rm', 'send-email', 'shortlog', 'show', 'show-branch', 'show-ref', 'sparse-checkout',
  'stash', 'status', 'stripspace', 'submodule', 'switch', 'symbolic-ref', 'tag', 'update-index', 'update-ref', 'var', 'verify-commit', 'verify-pack', 'verify-tag',
  'version', 'whatchanged', 'worktree', 'write-tree',
]);
/** Global options that take the next word as their argument. */
const GLOBAL_WITH_ARG = new Set(['-C', '-c', '--git-dir', '--work-tree', '--namespace', '--super-prefix', '--config-env', '--exec-path', '--list-cmds', '--attr-source']);
/** Options of subcommands that name a program or command to run. */
const RUNS: Readonly<Record<string, RegExp>> = {
  rebase: /^(-x|--exec)(=|$)|^-[a-zA-Z]*x/,
  bisect: /^run$/,
  submodule: /^foreach$/,
  difftool: /^(-x|--extcmd)(=|$)|^--tool(=|$)/,
  mergetool: /./,
  'filter-branch': /./,
  grep: /^(-O|--open-files-in-pager)/,
  help: /^(-w|--web|-i|--info|-m|--man)$/,
  instaweb: /./,
  'send-email': /^--(sendmail-cmd|smtp-server|to-cmd|cc-cmd|header-cmd)/,
  clone: /^(-u|--upload-pack|--template|-c|--config)(=|$)/,
  init: /^--template(=|$)/,
  fetch: /^--upload-pack(=|$)/,
  pull: /^--upload-pack(=|$)/,
  'ls-remote': /^(-u|--upload-pack)(=|$)/,
  'fetch-pack': /^--(upload-pack|exec)(=|$)/,
  push: /^--(receive-pack|exec)(=|$)/,
  archive: /^--(exec|remote)(=|$)/,
};
/** `git config` options that only read. */
const CONFIG_READS = /^(--get|--get-all|--get-regexp|--get-urlmatch|--get-color|--get-colorbool|-l|--list|--show-origin|--show-scope|--name-only|-z|--null|--type|--bool|--int|--path|--default|get|list)(=|$)/;

export function gitReason(args: readonly ShellWord[]): string | undefined {
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i];
    if (arg === undefined) break;
    const v = arg.value;
    if (v === null) return 'git with a computed option or subcommand may run anything its configuration names';
    if (!v.startsWith('-')) break;
    const name = v.includes('=') ? v.slice(0, v.indexOf('=')) : v;
    if (name === '-c' || name === '--config-env') return 'git -c sets configuration that can run commands (aliases, core.*, hooks, filters)';
    if (name === '--exec-path' && v.includes('=')) return 'git --exec-path chooses the programs behind every subcommand';
    if (name === '--git-dir' || name === '--work-tree') return `git ${name} uses a repository whose configuration may run commands`;
    if (GLOBAL_WITH_ARG.has(v)) i++;
  }
  const sub = args[i]?.value;
  if (sub === undefined || sub === null) return undefined;
  const rest = args.slice(i + 1).map((a) => a.value ?? a.raw);
  if (!KNOWN.has(sub)) return `git ${sub} is not a git command the policy knows: an alias or a git-${sub} program could run anything`;
  if (rest.some((v) => /^(ext|fd)::/.test(v))) return 'a git ext:: or fd:: remote runs a command';
  const runs = RUNS[sub];
  if (runs !== undefined && (runs.source === '.' || rest.some((v) => runs.test(v)))) {
    const option = runs.source === '.' ? '' : ` ${rest.find((v) => runs.test(v))}`;
    return `git ${sub}${option} runs another command`;
  }
  if (sub === 'config') {
    const operands = rest.filter((v) => !v.startsWith('-'));
    const reads = rest.some((v) => CONFIG_READS.test(v)) || (operands.length <= 1 && !rest.some((v) => /^--(unset|unset-all|add|replace-all|rename-section|remove-section|edit)|^-e$/.test(v)));
    if (!reads) return 'git config writes configuration, which can make git run commands (aliases, core.*, hooks)';
  }
  return undefined;
}
