import * as readline from 'node:readline';
import type { ApprovalAnswer, Approver } from '../core/breakwater';

/**
 * Asks on the terminal: yes / no / always / show diff. Prompts go to stderr so `--json` stdout stays
 * one clean object. "always" is offered only for `ask` calls (never for ask-every-time).
 */
export function terminalApprover(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Approver {
  return async (prompt, signal): Promise<ApprovalAnswer> => {
    const rl = readline.createInterface({ input, terminal: false });
    // Lines are read through the iterator, which buffers them: none typed ahead is lost.
    const lines = rl[Symbol.asyncIterator]();
    const onAbort = () => rl.close();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const r = prompt.request;
      // Outside the OS sandbox a command has the user's full rights: say so in words, with why.
      const unsandboxed = (r?.tool === 'bash' || r?.tool === 'ssh') && r.unsandboxed !== undefined ? `\n  ⚠ NOT SANDBOXED: ${r.unsandboxed.replace(/^not sandboxed: /, '')}` : '';
      output.write(`\n? ${prompt.agent} wants to ${prompt.summary}\n  ${prompt.reason}${unsandboxed}${prompt.mayHaveRun ? '\n  ⚠ it may already have run before the interruption' : ''}\n`);
      const choices = prompt.kind === 'ask' ? '[y]es / [n]o / [a]lways / [d]iff' : '[y]es / [n]o / [d]iff';
      for (;;) {
        output.write(`  ${choices} > `);
        const next = await lines.next();
        signal.throwIfAborted();
        // End of input: nobody can answer now; the run pauses.
        if (next.done) return { kind: 'defer' };
        const answer = String(next.value).trim().toLowerCase();
        if (answer === 'y' || answer === 'yes') return { kind: 'grant', by: 'user' };
        if (answer === 'n' || answer === 'no') return { kind: 'deny', reason: 'declined at the terminal' };
        if ((answer === 'a' || answer === 'always') && prompt.kind === 'ask') return { kind: 'grant', by: 'user', always: true };
        if (answer === 'd' || answer === 'diff') {
          output.write(`${describe(prompt.request)}\n`);
          continue;
        }
        output.write(`  please answer ${choices}\n`);
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
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
