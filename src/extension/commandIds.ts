/**
 * Every `breakwater.*` command package.json contributes. Activation registers each id with a stub
 * that loads the command's implementation (`commands.ts`, in the lazily loaded core bundle) on
 * first use, so activation never compiles the core. A unit test keeps this list, the handlers and
 * package.json in step.
 */
export const COMMAND_IDS = [
  'breakwater.askAgent',
  'breakwater.askAll',
  'breakwater.runTask',
  'breakwater.askAboutSelection',
  'breakwater.setApiKey',
  'breakwater.healthCheck',
  'breakwater.showStatus',
  'breakwater.resetBreaker',
  'breakwater.exportCosts',
  'breakwater.openConfig',
  'breakwater.resumeRun',
  'breakwater.approvePending',
  'breakwater.undoRun',
  'breakwater.openRun',
  'breakwater.newChat',
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];

/** A command's implementation: the arguments VS Code passes (a tree node, a run id, nothing). */
export type CommandHandler = (...args: unknown[]) => Promise<unknown>;
