/**
 * The core's public surface: what the hosts (the VS Code extension, and anything else outside
 * `src/core`) may use. The extension imports the core through this file only (a lint zone and
 * test/unit/layers enforce it); everything else under `src/core` is internal and may change.
 */
export * from './breakwater';
export type { CoreEvent } from './common/coreEvents';
export { Emitter, type Event } from './common/event';
export { visibleText } from './common/visibleText';
export { isConfigError, type ConfigError } from './config/configError';
export type { ConfigStatus } from './config/configStatus';
export type { LoadedConfig } from './config/loader';
export { PROVIDER_KINDS, READ_ONLY_TOOLS, TOOL_NAMES, type ProviderKind, type BreakwaterConfig } from './config/schema';
export { TEMPLATE_NAMES, TEMPLATES, type TemplateName } from './config/templates';
export { confirmedFoldersSchema, displayValue, trustFolderKey, type ConfirmedFolders, type Confirmations, type SensitiveValue } from './config/trust';
export { ENDPOINT_FIELD, userConfigPath } from './config/userScope';
export { environmentKeys } from './providers/environmentKeys';
export { firstKeySource, OFFICIAL_ORIGIN, originOf, PROVIDER_LABEL } from './providers/keyBinding';
export type { KeyLookup, SecretSource } from './providers/types';
export type { EscalationChoice, EscalationRequest } from './resilience/fallback';
export { replayRunLog } from './runs/runLog';
export { nextPhase, RUNNING } from './runs/runPhase';
export { approvalViewSchema, toApprovalView, type ApprovalRequest, type ApprovalView } from './tools/approvalView';
export type { ToolStats } from './tools/types';
export { ConfigWatcher } from './config/configWatcher';
