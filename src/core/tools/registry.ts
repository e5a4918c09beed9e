import { bashTool, sshTool } from './commandTools';
import { editTool, writeTool } from './fileTools';
import { httpTool } from './httpTool';
import { readTool } from './readTool';
import { globTool, grepTool, listDirTool } from './searchTools';
import type { Tool } from './toolDefinition';

/**
 * The tools the engine runs, in the order they are listed to users. Adding a tool: write its
 * definition (`defineTool`, see toolDefinition.ts) and add it here; the config's tool names, the
 * engine, the approval gate, the run log and the approval card and prompt follow from these.
 */
export const BUILTIN_TOOLS = [readTool, writeTool, editTool, listDirTool, globTool, grepTool, bashTool, httpTool, sshTool] as const;

/**
 * Tools the run layer carries out itself rather than the engine: `delegate` starts a child run of
 * another agent (src/core/agents/delegateTool.ts), so it needs the run store and the delegation chain,
 * which the engine never sees.
 */
export const RUN_LAYER_TOOLS = ['delegate'] as const;

export type EngineToolName = (typeof BUILTIN_TOOLS)[number]['name'];
export type ToolName = EngineToolName | (typeof RUN_LAYER_TOOLS)[number];

/** Every tool an agent can be given, by the names the model calls them (test/unit/tools/toolContract.test.ts lists them). */
export const TOOL_NAMES: readonly ToolName[] = [...BUILTIN_TOOLS.map((t): ToolName => t.name), ...RUN_LAYER_TOOLS];

/** The tools that only read; the only ones available in an untrusted (Restricted Mode) workspace. */
export const READ_ONLY_TOOLS: readonly ToolName[] = BUILTIN_TOOLS.filter((t) => t.readOnly).map((t) => t.name);

/** A set of tools by name: the built-in ones, or those a host or test registers next to them. */
export class ToolRegistry {
  private readonly byName = new Map<string, Tool>();

  constructor(tools: readonly Tool[] = BUILTIN_TOOLS) {
    for (const tool of tools) {
      if (this.byName.has(tool.name)) throw new Error(`two tools are named "${tool.name}"`);
      this.byName.set(tool.name, tool);
    }
  }

  get(name: string): Tool | undefined {
    return this.byName.get(name);
  }

  /** Every tool's name, in registration order. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  /** The names of the read-only tools (the only ones left in Restricted Mode). */
  readOnlyNames(): string[] {
    return [...this.byName.values()].filter((t) => t.readOnly).map((t) => t.name);
  }
}
