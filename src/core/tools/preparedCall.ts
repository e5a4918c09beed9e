import { z } from 'zod';
import { decisionSchema } from '../sandbox/decisions';
import { approvalRequestSchema } from './approvalView';
import { fromLegacyApproval } from './legacyApproval';

/**
 * A prepared call as the engine hands it out and as the run log stores it (`tool_call_decided`): one
 * set of schemas, so what a resume reads back is exactly what `execute` and `checkApplied` take. Plain
 * JSON throughout, so a call can be shown for approval in another process and executed after a crash.
 */

/**
 * Undo and crash information for a call that changes one file: its hash before and the hash the call
 * will produce, so a resume can tell whether a started call already happened.
 */
export const preconditionSchema = z.strictObject({
  path: z.string(),
  /** sha256 of the file before the call; null when it did not exist. */
  beforeHash: z.string().nullable(),
  /** sha256 the file will have once the call is applied. */
  afterHash: z.string(),
});
export type Precondition = z.infer<typeof preconditionSchema>;

const serverSchema = z.object({ host: z.string(), user: z.string(), port: z.number(), key: z.string().optional() });

/** The scope's policy, flattened to plain JSON so a stored call can be re-checked after a crash. */
export const executionContextSchema = z.object({
  agentName: z.string(),
  agentTools: z.array(z.string()),
  sandboxPaths: z.boolean(),
  /** Each non-empty list must admit every program (settings, then the agent's narrowing list). */
  allowedLists: z.array(z.array(z.string())),
  denied: z.array(z.string()),
  httpAllowedDomains: z.array(z.string()),
  sshStrictHostChecking: z.boolean(),
  /** The servers this agent may reach (named in `servers` and in the agent's `servers`). */
  servers: z.record(z.string(), serverSchema),
  breaker: z.object({ threshold: z.number(), resetMs: z.number() }),
  /** `settings.sandbox`: how commands are confined (absent in calls stored before it existed: the defaults). */
  sandbox: z.object({ mode: z.enum(['auto', 'required', 'off']), networkAllow: z.array(z.string()) }).optional(),
});
export type ExecutionContext = z.infer<typeof executionContextSchema>;

/**
 * The approval as stored: today's view, or a record from a log written before views were data (read
 * as today's view; one the reader does not recognise is dropped, so an old log never fails to load).
 */
const storedApprovalSchema = z.union([approvalRequestSchema, z.record(z.string(), z.unknown()).transform((old) => fromLegacyApproval(old))]);

/** A prepared call as the run log stores it (the replaced file's content goes to the run's backups instead). */
export const storedCallSchema = z.object({
  callId: z.string(),
  tool: z.string(),
  args: z.unknown(),
  decision: decisionSchema,
  /** What the person deciding sees; present when the decision is `ask` or `ask_every_time`. */
  approval: storedApprovalSchema.optional(),
  /** One line for lists and the CLI's `pending_approvals[].summary`. */
  summary: z.string(),
  precondition: preconditionSchema.optional(),
  /** Side effects that cannot be checked afterwards (`bash`, `http_request`, `ssh`): never repeated without asking. */
  unverifiable: z.boolean(),
  /**
   * Set when the call cannot run as asked (unknown tool, arguments that fail the schema, an `edit`
   * whose old_string is missing). The decision is then `allow`: executing answers the model with
   * this error without running anything and without counting against the tool's breaker.
   */
  invalid: z.string().optional(),
  /**
   * What `execute` needs to re-judge and run the call without the scope. One that does not validate
   * (a hand-edited log) is dropped rather than failing the whole log: the engine then refuses to run
   * the call ("prepare it again"), which is the safe answer.
   */
  context: executionContextSchema.optional().catch(undefined),
});
export type StoredCall = z.infer<typeof storedCallSchema>;

/** A call as `prepare` returns it: the stored form plus, for a write/edit, the content it replaces (kept for undo). */
export type PreparedCall = StoredCall & {
  /** `write`/`edit`: the file's content before the call (null: it did not exist), saved to the run's backups before it runs. */
  readonly previousContent?: string | null;
};
