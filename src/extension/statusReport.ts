import { displayValue } from '../core/index';
import type { HealthEntry, StatusSnapshot } from './coreViews';
import { formatRetryIn } from './statusSnapshot';

export { formatRetryIn };

/**
 * The CLI's `--status` as readable markdown, for Show Status and the chat's `/status`, `/costs`
 * and `/health`. Plain functions of data (no vscode), so the wording is tested in Node.
 */

const STATE_LABEL = { closed: 'closed', open: 'OPEN', half_open: 'half-open' } as const;
const usd = (n: number) => `$${n.toFixed(4)}`;
const cell = (s: string) => s.replace(/\|/g, '\\|');

export function formatBreakers(title: string, rows: StatusSnapshot['providers'], now: number): string {
  if (rows.length === 0) return `### ${title}\n\nNone used yet.\n`;
  const lines = rows.map((b) => `| ${cell(b.name)} | ${STATE_LABEL[b.state]} | ${b.failures} | ${b.successes} | ${b.calls} | ${Math.round(b.avgMs)} ms | ${b.rateLimit ? `${b.rateLimit.used}/${b.rateLimit.limit}` : '—'} | ${b.state === 'open' ? formatRetryIn(b.retryAt, now) : ''} |`);
  return [`### ${title}`, '', '| name | breaker | failures | successes | calls | avg | rate limit | next probe |', '| --- | --- | --- | --- | --- | --- | --- | --- |', ...lines, ''].join('\n');
}

export function formatCosts(costs: StatusSnapshot['costs']): string {
  const budget = costs.budgetUsd === null ? 'no budget set' : `${usd(costs.totalUsd)} of ${usd(costs.budgetUsd)} (${Math.round((costs.totalUsd / Math.max(costs.budgetUsd, 1e-9)) * 100)} %)`;
  const table = (label: string, entries: Readonly<Record<string, number>>) => {
    const rows = Object.entries(entries).sort((a, b) => b[1] - a[1]);
    return rows.length ? [`| ${label} | cost |`, '| --- | --- |', ...rows.map(([k, v]) => `| ${cell(k)} | ${usd(v)} |`), ''].join('\n') : '';
  };
  return [`### Costs`, '', `Total: **${usd(costs.totalUsd)}** · today ${usd(costs.todayUsd)} · ${budget}`, '', table('agent', costs.byAgent), table('model', costs.byModel)].join('\n');
}

export function formatRuns(runs: StatusSnapshot['runs']): string {
  const open = runs.filter((r) => r.status === 'running' || r.status === 'waiting_on_human' || r.status === 'interrupted' || r.status === 'damaged');
  if (open.length === 0) return '### Runs\n\nNo active or paused runs.\n';
  return ['### Runs', '', '| run | agent | status |', '| --- | --- | --- |', ...open.map((r) => `| ${r.runId} | ${cell(r.agent)} | ${r.status} |`), ''].join('\n');
}

/** Which file each effective value came from, and the workspace values that are not in use. */
export function formatConfig(config: NonNullable<StatusSnapshot['config']>): string {
  const file = (f: { path: string; exists: boolean } | null) => (f === null ? 'none' : `\`${f.path}\`${f.exists ? '' : ' (no such file)'}`);
  const from = (v: (typeof config.values)[string]) =>
    v.from === 'env' ? `environment \`${v.variable}\`` : v.from === 'default' ? 'default' : `${v.from}: ${(v.files ?? [v.file]).map((f) => `\`${f}\``).join(', ')}`;
  const rows = Object.entries(config.values).filter(([, v]) => v.from !== 'default');
  const lines = ['### Configuration', '', `User file: ${file(config.user_file)}  `, `Workspace file: ${file(config.workspace_file)}${config.restricted ? ' — Restricted Mode: its sensitive values are not used' : ''}`, ''];
  lines.push(rows.length === 0 ? 'Every value is a default.' : ['| key | from |', '| --- | --- |', ...rows.map(([k, v]) => `| ${cell(k)} | ${cell(from(v))} |`)].join('\n'), '');
  const waiting = config.sensitive.filter((v) => v.status !== 'confirmed');
  if (waiting.length > 0) {
    lines.push('**Not in use** (the workspace file sets them; allow them when Breakwater asks before a run):', '', '| key | value | where | status |', '| --- | --- | --- | --- |');
    for (const v of waiting) lines.push(`| ${cell(displayValue(v.key))} | ${cell(displayValue(v.value))} | ${cell(`${displayValue(v.file)}${v.line === null ? '' : `:${v.line}`}`)} | ${v.status} |`);
    lines.push('');
  }
  for (const note of config.notes) lines.push(`- ${note}`);
  return lines.join('\n');
}

export function formatStatus(snapshot: StatusSnapshot, now: number): string {
  return ['# Breakwater status', '', ...(snapshot.config ? [formatConfig(snapshot.config)] : []), formatBreakers('Providers', snapshot.providers, now), formatBreakers('Tools', snapshot.tools, now), formatCosts(snapshot.costs), formatRuns(snapshot.runs)].join('\n');
}

export function formatHealth(entries: readonly HealthEntry[]): string {
  if (entries.length === 0) return '### Health\n\nNo providers configured.\n';
  return ['### Health', '', '| provider | ok | detail | latency |', '| --- | --- | --- | --- |', ...entries.map((e) => `| ${cell(e.name)} | ${e.ok ? 'yes' : '**no**'} | ${cell(e.detail)} | ${e.latencyMs === undefined ? '' : `${Math.round(e.latencyMs)} ms`} |`), ''].join('\n');
}
