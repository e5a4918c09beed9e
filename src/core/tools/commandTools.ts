import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { DEFAULT_SANDBOX_SETTINGS, type Confinement } from '../sandbox/commandSandbox';
import { allow, askEveryTime, block, strictest } from '../sandbox/decisions';
import { judgeCommand } from '../sandbox/shellPolicy';
import { defineTool, errorOutcome, type ToolContext } from './toolDefinition';
import type { Decision } from './types';

/** `bash` and `ssh`: the two tools that run a command line, judged by the shell policy and run in the OS sandbox. */

/**
 * The shell policy's decision with its rule named when it asks every time: no "always allow" covers
 * a command the policy cannot see through.
 */
function shellRule(decision: Decision): Decision {
  return decision.kind === 'ask_every_time' ? askEveryTime(`${decision.reason} (shell policy: no "always allow" for this)`) : decision;
}

/**
 * A command that cannot run in the OS sandbox asks every time (never `--yes`, never "always allow"),
 * and is refused when the settings require the sandbox. The approval says so in words.
 */
async function confine(ctx: ToolContext, decision: Decision, forward: boolean): Promise<{ restriction: Decision; unsandboxed?: string }> {
  const c: Confinement = await ctx.commands.confinement(ctx.policy.sandbox ?? DEFAULT_SANDBOX_SETTINGS, { forward });
  if (c.kind === 'sandboxed') return { restriction: shellRule(decision) };
  return { restriction: strictest([c.kind === 'refused' ? block(c.reason) : askEveryTime(c.reason), shellRule(decision)]), unsandboxed: c.reason };
}

function existing(paths: readonly string[]): string[] {
  return paths.filter((p) => fs.existsSync(p));
}

export const bashTool = defineTool({
  name: 'bash',
  description: 'Run a bash command in the workspace. The user approves commands; dangerous ones are refused. Output is capped; stdin is closed.',
  schema: z.strictObject({
    command: z.string().min(1).describe('A bash command line; runs with stdin closed and a time limit.'),
    working_dir: z.string().min(1).optional().describe('Folder to run in, inside the workspace; defaults to the workspace folder.'),
  }),
  readOnly: false,
  unverifiable: true,
  async judge(args, ctx) {
    // The whole command, never cut: what is approved must be what is shown (the engine escapes it).
    const summary = `bash: ${args.command}`;
    const cwdResolved = await ctx.sandbox.resolve(args.working_dir ?? '.', 'read');
    if (!cwdResolved.ok) return { restriction: block(`working_dir: ${cwdResolved.reason}`), summary };
    if (cwdResolved.folder === undefined) return { restriction: block('working_dir must be inside the workspace folders'), summary };
    if (cwdResolved.kind !== 'directory') return { restriction: allow('invalid'), summary, invalid: `working_dir ${args.working_dir} is not an existing folder.` };
    const cwd = cwdResolved.path;
    const judged = await judgeCommand(args.command, { cwd, sandbox: ctx.sandbox, allowedLists: ctx.policy.allowedLists, denied: ctx.policy.denied });
    const { restriction, unsandboxed } = await confine(ctx, judged.decision, false);
    return {
      restriction,
      does: 'runs a command in the workspace',
      summary,
      target: cwd,
      approval: { tool: 'bash', command: { text: args.command, steps: [...judged.subcommands] }, fields: [{ label: 'In', value: cwd }], alwaysAllow: 'this command', ...(unsandboxed !== undefined ? { unsandboxed } : {}) },
      grantKey: `bash:${args.command.trim()}`,
    };
  },
  run: (args, ctx, judgement, signal) =>
    ctx.commands.run({
      argv: () => ['/bin/bash', '-c', args.command],
      cwd: judgement.target ?? ctx.sandbox.defaultFolder,
      settings: ctx.policy.sandbox ?? DEFAULT_SANDBOX_SETTINGS,
      workspaceFolders: ctx.sandbox.realFolders(),
      timeoutMs: ctx.commandTimeoutMs,
      cap: ctx.cap,
      signal,
    }),
});

const SAFE_SSH_FIELD = /^[A-Za-z0-9._@:[\]%-]+$/;

export const sshTool = defineTool({
  name: 'ssh',
  description: 'Run a command on a configured server (by its name in the configuration). The user approves it.',
  schema: z.strictObject({
    host: z.string().min(1).describe('Name of a server from the configuration (not a hostname).'),
    command: z.string().min(1).describe('Command to run on that server.'),
  }),
  readOnly: false,
  unverifiable: true,
  async judge(args, ctx) {
    const summary = `ssh ${args.host}: ${args.command}`;
    const server = Object.prototype.hasOwnProperty.call(ctx.policy.servers, args.host) ? ctx.policy.servers[args.host] : undefined;
    if (server === undefined) {
      const known = Object.keys(ctx.policy.servers);
      return { restriction: block(`"${args.host}" is not a server this agent may reach (${known.length > 0 ? known.join(', ') : 'none configured for it'}); add it under servers and to the agent's servers.`), summary };
    }
    // Option injection: a host or user starting with `-` would be read by ssh as an option.
    if (!SAFE_SSH_FIELD.test(server.host) || server.host.startsWith('-') || !SAFE_SSH_FIELD.test(server.user) || server.user.startsWith('-')) {
      return { restriction: block(`server "${args.host}" has a host or user ssh could misread as an option`), summary };
    }
    const judged = await judgeCommand(args.command, { cwd: '/', allowedLists: ctx.policy.allowedLists, denied: ctx.policy.denied });
    const { restriction, unsandboxed } = await confine(ctx, judged.decision, true);
    const target = `${server.user}@${server.host}:${server.port}`;
    return {
      restriction,
      does: `runs a command on ${args.host} (${target})`,
      summary,
      approval: {
        tool: 'ssh',
        command: { text: args.command, steps: [...judged.subcommands] },
        fields: [{ label: 'Server', value: `${args.host} (${target})` }],
        alwaysAllow: `this command on ${args.host}`,
        ...(unsandboxed !== undefined ? { unsandboxed } : {}),
      },
      grantKey: `ssh:${args.host}:${args.command.trim()}`,
    };
  },
  async run(args, ctx, _judgement, signal) {
    const server = ctx.policy.servers[args.host];
    if (server === undefined) return errorOutcome(`Unknown server ${args.host}.`);
    const home = os.homedir();
    const key = server.key === undefined ? undefined : server.key.startsWith('~/') ? path.join(home, server.key.slice(2)) : server.key;
    const argv = (where: { sandboxed: boolean; gateSocket?: string }) => [
      'ssh',
      '-o', `StrictHostKeyChecking=${ctx.policy.sshStrictHostChecking ? 'yes' : 'no'}`,
      '-o', 'BatchMode=yes',
      '-o', 'ConnectTimeout=10',
      '-o', 'ClearAllForwardings=yes',
      '-o', 'ForwardAgent=no',
      // In the sandbox there is no network: the gate on the host connects to this server and nowhere else.
      ...(where.sandboxed && where.gateSocket !== undefined ? ['-o', `ProxyCommand=socat - UNIX-CONNECT:${where.gateSocket}`] : []),
      '-p', String(server.port),
      ...(key !== undefined ? ['-i', key] : []),
      '--', `${server.user}@${server.host}`, args.command,
    ];
    // What ssh's local side needs and nothing else of ~/.ssh: the server's key, known_hosts, the agent.
    const agent = process.env.SSH_AUTH_SOCK;
    return ctx.commands.run({
      argv,
      cwd: ctx.sandbox.defaultFolder,
      settings: ctx.policy.sandbox ?? DEFAULT_SANDBOX_SETTINGS,
      workspaceFolders: ctx.sandbox.realFolders(),
      readable: existing([...(key !== undefined ? [key] : []), path.join(home, '.ssh', 'known_hosts'), path.join(home, '.ssh', 'known_hosts2')]),
      sockets: agent !== undefined && agent.startsWith('/') ? [agent] : [],
      forward: { host: server.host, port: server.port },
      timeoutMs: ctx.commandTimeoutMs,
      cap: ctx.cap,
      signal,
    });
  },
});
