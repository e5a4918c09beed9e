import * as readline from 'node:readline';
import type { ApprovalAnswer, Approver } from '../core/breakwater';
import type { ApprovalRequest } from '../core/tools/approvalView';
import { visibleText, wrapText } from '../core/common/visibleText';

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
      // Everything shown is escaped (no ANSI, \r or bidi trick can hide part of it) and wrapped, never cut.
      const width = Math.max(40, ((output as { columns?: number }).columns ?? 100) - 2);
      const what = wrapText(`? ${visibleText(prompt.agent)} wants to ${visibleText(prompt.summary)}`, width, '    ');
      const r = prompt.request;
      // Outside the OS sandbox a command has the user's full rights: say so in words, with why.
      const unsandboxed = r?.unsandboxed !== undefined ? `\n${wrapText(`  ⚠ NOT SANDBOXED: ${visibleText(r.unsandboxed.replace(/^not sandboxed: /, ''))}`, width, '    ')}` : '';
      output.write(`\n${what}\n${wrapText(`  ${visibleText(prompt.reason)}`, width, '  ')}${unsandboxed}${prompt.mayHaveRun ? '\n  ⚠ it may already have run before the interruption' : ''}\n`);
      // "Always" only where the call says what it would cover, and never for ask-every-time.
      const always = prompt.kind === 'ask' && r?.alwaysAllow !== undefined;
      const choices = always ? '[y]es / [n]o / [a]lways / [d]iff' : '[y]es / [n]o / [d]iff';
      for (;;) {
        output.write(`  ${choices} > `);
        const next = await lines.next();
        signal.throwIfAborted();
        // End of input: nobody can answer now; the run pauses.
        if (next.done) return { kind: 'defer' };
        const answer = String(next.value).trim().toLowerCase();
        if (answer === 'y' || answer === 'yes') return { kind: 'grant', by: 'user' };
        if (answer === 'n' || answer === 'no') return { kind: 'deny', reason: 'declined at the terminal' };
        if ((answer === 'a' || answer === 'always') && always) return { kind: 'grant', by: 'user', always: true };
        if (answer === 'd' || answer === 'diff') {
          output.write(`${wrapText(visibleText(describe(prompt.request), { multiline: true }), width, '    ')}\n`);
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

/** What [d] shows: the command, the labelled values and the diff of the call's approval view, whatever the tool. */
function describe(request: ApprovalRequest | undefined): string {
  if (request === undefined) return '  (nothing more to show)';
  const lines = [
    ...(request.command !== undefined ? [`  $ ${request.command.text}`] : []),
    ...(request.command !== undefined && request.command.steps.length > 1 ? request.command.steps.map((s) => `    · ${s}`) : []),
    ...request.fields.map((f) => `  ${f.label}: ${f.value}`),
    ...(request.change !== undefined ? [request.change.diff] : []),
  ];
  return lines.length > 0 ? lines.join('\n') : '  (nothing more to show)';
}
