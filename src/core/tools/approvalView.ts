import * as z from 'zod/mini';

/**
 * What a person sees to approve or refuse one tool call, as data: every tool describes its calls in
 * these terms, and the webview card, the terminal prompt and the run log know only these terms (no
 * tool names). The core keeps a file change's contents with it (`ApprovalRequest`, stored in the run
 * log so a diff editor can show them after a reload); the webview gets the `ApprovalView` without them.
 *
 * `zod/mini` because the webview bundle loads this file too (protocol/messages.ts); classic zod
 * schemas in the core compose with it.
 */

/** One labelled value ("In": the folder, "Host": the address), shown in order. */
const approvalField = z.strictObject({ label: z.string(), value: z.string() });

/** The command line a call runs and the commands it was parsed into (listed when there are several). */
const approvalCommand = z.strictObject({ text: z.string(), steps: z.array(z.string()) });

/** A file the call creates or replaces: the card offers View Diff, the terminal prints the diff. */
const changeShape = {
  /** The resolved real path. */
  path: z.string(),
  relativePath: z.string(),
  /** The file does not exist yet. */
  isNew: z.boolean(),
  /** Unified diff of current → proposed. */
  diff: z.string(),
};

/** The longest diff a view carries to the webview (characters); the core's stored form has no limit. */
export const MAX_VIEW_DIFF = 2_000_000;

const viewShape = {
  /** The tool (or `apply`, the editor's Apply): for labels only, never for deciding how to draw. */
  tool: z.string().check(z.minLength(1)),
  fields: z.array(approvalField),
  command: z.optional(approvalCommand),
  change: z.optional(z.strictObject({ ...changeShape, diff: z.string().check(z.maxLength(MAX_VIEW_DIFF)) })),
  /** Set when the call's command runs without the OS sandbox: why, in words ("not sandboxed: …"). */
  unsandboxed: z.optional(z.string()),
  /**
   * What "always allow" would cover for the rest of the session ("this command", "requests to
   * example.com"); without it no such choice is offered.
   */
  alwaysAllow: z.optional(z.string()),
};

/** What the chat's approval card receives (protocol/messages.ts): never a file's contents. */
export const approvalViewSchema = z.strictObject(viewShape);
export type ApprovalView = z.infer<typeof approvalViewSchema>;

/** A file change with its contents: current (null when new) and proposed; its diff as long as it is. */
const storedChange = z.strictObject({ ...changeShape, before: z.nullable(z.string()), after: z.string() });

/** The core's form, written to the run log with the prepared call: the view plus a change's contents. */
export const approvalRequestSchema = z.strictObject({ ...viewShape, change: z.optional(storedChange) });
export type ApprovalRequest = z.infer<typeof approvalRequestSchema>;
export type ApprovalChange = NonNullable<ApprovalRequest['change']>;

/**
 * The view a card shows: the request without file contents. `clip` shortens the diff for the message
 * (it is cut at MAX_VIEW_DIFF characters in any case).
 */
export function toApprovalView(request: ApprovalRequest, clip: (text: string) => string = (t) => t): ApprovalView {
  const { change, ...rest } = request;
  if (change === undefined) return rest;
  return { ...rest, change: { path: change.path, relativePath: change.relativePath, isNew: change.isNew, diff: clip(change.diff).slice(0, MAX_VIEW_DIFF) } };
}
