import type { BreakwaterConfig } from '../config/schema';

export interface WorkspaceFacts {
  readonly workspaceFolders: readonly string[];
  readonly trusted: boolean;
  /** `process.platform`. */
  readonly platform: string;
}

/**
 * The system prompt: `# name`, the role, the servers the agent may reach (user@host and
 * description), plus what it needs to know about the workspace. Deterministic, so a resumed run sends
 * the same system prompt as the process that started it.
 */
/** `delegates`: the agents this one may ask (its `delegates` list), named so the model knows whom. */
export function buildSystemPrompt(agentName: string, config: BreakwaterConfig, facts: WorkspaceFacts, delegates: readonly string[]): string {
  const agent = config.agents[agentName];
  if (agent === undefined) throw new Error(`no agent named "${agentName}" in the config (agents: ${Object.keys(config.agents).join(', ')})`);
  let prompt = `# ${agentName}\n\n${agent.role}`;
  if (agent.servers.length > 0) {
    prompt += '\n\n## Available Servers\n';
    for (const name of agent.servers) {
      const server = config.servers[name];
      if (!server) continue;
      prompt += `- **${name}**: ${server.user}@${server.host}${server.description ? ` (${server.description})` : ''}\n`;
    }
  }
  prompt += '\n\n## Workspace\n';
  prompt += facts.workspaceFolders.map((f) => `- ${f}\n`).join('');
  prompt += `- Platform: ${facts.platform}\n`;
  prompt += facts.trusted ? '- File and shell changes need the user\'s approval; some paths and commands are blocked.\n' : '- Restricted Mode: only the read-only tools work.\n';
  if (delegates.length > 0) {
    prompt += `\n## Colleagues\nYou can ask another agent with the \`delegate\` tool, and only these: ${delegates.join(', ')}.\n`;
  }
  return prompt;
}
