/** Exit codes (PRODUCT.md): 0 completed · 1 failed · 2 usage or config error · 3 waiting_on_human. */
export const EXIT = { completed: 0, failed: 1, usage: 2, waiting: 3 } as const;

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly stdinIsTTY: boolean;
}

const USAGE = `usage: breakwater [--config FILE] [--workspace DIR] [--store DIR] [--json] [--yes]
  --status | --agents | --health | --runs
  --agent NAME --prompt TEXT
  --all --prompt TEXT
  --task NAME [--prompt TEXT]
  --resume RUN_ID
  --approve RUN_ID [--call CALL_ID]
  --deny RUN_ID [--call CALL_ID] [--reason TEXT]
`;

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(USAGE);
    return EXIT.completed;
  }
  io.stderr.write(`breakwater: not implemented yet: ${argv.join(' ') || '(no arguments)'}\n${USAGE}`);
  return EXIT.usage;
}
