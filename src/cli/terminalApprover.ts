import * as readline from 'node:readline/promises';
import type { ApprovalAnswer, Approver } from '../core/breakwater';

/**
 * Asks on the terminal: yes / no / always / show diff. Prompts go to stderr so `--json` stdout stays
 * one clean object. "always" is offered only for `ask` calls (never for ask-every-time).
 */
export function terminalApprover(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Approver {
  return async (prompt, signal): Promise<ApprovalAnswer> => {
    const rl = readline.createInterface({ input, output, terminal: false });
    try {
      output.write(`\n? ${prompt.agent} wants to ${prompt.summary}\n  ${prompt.reason}${prompt.mayHaveRun ? '\n  ⚠ it may already have run before the interruption' : ''}\n`);
      const choices = prompt.kind === 'ask' ? '[y]es / [n]o / [a]lways / [d]iff' : '[y]es / [n]o / [d]iff';
      for (;;) {
        const answer = (await rl.question(`  ${choices} > `, { signal })).trim().toLowerCase();
        if (answer === 'y' || answer === 'yes') return { kind: 'grant', by: 'user' };
        if (answer === 'n' || answer === 'no') return { kind: 'deny', reason: 'declined at the terminal' };
        if ((answer === 'a' || answer === 'always') && prompt.kind === 'ask') return { kind: 'grant', by: 'user', always: true };
        if (answer === 'd' || answer === 'diff') {
          output.write(`${describe(prompt.request)}\n`);
          continue;
        }
        output.write(`  please answer ${choices}\n`);
      }
    } catch (e) {
      if (signal.aborted) throw e;
      // stdin closed (EOF): nobody can answer now; the run pauses.
      return { kind: 'defer' };
    } finally {
      rl.close();
    }
  };
}

function describe(request: Parameters<Approver>[0]['request']): string {
  if (!request) return '  (nothing more to show)';
  switch (request.tool) {
    case 'write':
    case 'edit':
      return request.diff;
    case 'bash':
      return `  $ ${request.command}  (in ${request.cwd})`;
    case 'ssh':
      return `  ${request.target}$ ${request.command}`;
    case 'http_request':
      return `  ${request.method} ${request.url}`;
    default:
      return `  ${request.relativePath}`;
  }
}
