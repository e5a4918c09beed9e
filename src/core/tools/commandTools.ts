import * as os from 'node:os';
import * as path from 'node:path';
import type { z } from 'zod';
import { allow, block } from '../sandbox/decisions';
import { judgeCommand } from '../sandbox/shellPolicy';
import { runProcess } from './processRunner';
import { errorOutcome, type ToolDefinition } from './toolDefinition';
import { bashArgs, sshArgs, TOOL_DESCRIPTIONS } from './toolSchemas';

export const bashTool: ToolDefinition<z.infer<typeof bashArgs>> = {
  name: 'bash',
  description: TOOL_DESCRIPTIONS.bash,
  schema: bashArgs,
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
    return {
      restriction: judged.decision,
      summary,
      target: cwd,
      approval: { tool: 'bash', command: args.command, subcommands: judged.subcommands, cwd },
      grantKey: `bash:${args.command.trim()}`,
    };
  },
  run: (args, ctx, judgement, signal) => runProcess('/bin/bash', ['-c', args.command], { cwd: judgement.target ?? ctx.sandbox.defaultFolder, timeoutMs: ctx.commandTimeoutMs, cap: ctx.cap, signal }),
};

const SAFE_SSH_FIELD = /^[A-Za-z0-9._@:[\]%-]+$/;

export const sshTool: ToolDefinition<z.infer<typeof sshArgs>> = {
  name: 'ssh',
  description: TOOL_DESCRIPTIONS.ssh,
  schema: sshArgs,
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
    return {
      restriction: judged.decision,
      summary,
      approval: { tool: 'ssh', server: args.host, target: `${server.user}@${server.host}:${server.port}`, command: args.command, subcommands: judged.subcommands },
      grantKey: `ssh:${args.host}:${args.command.trim()}`,
    };
  },
  async run(args, ctx, _judgement, signal) {
    const server = ctx.policy.servers[args.host];
    if (server === undefined) return errorOutcome(`Unknown server ${args.host}.`);
    const argv = [
      '-o', `StrictHostKeyChecking=${ctx.policy.sshStrictHostChecking ? 'yes' : 'no'}`,
      '-o', 'BatchMode=yes',
      '-o', 'ConnectTimeout=10',
      '-p', String(server.port),
    ];
    if (server.key !== undefined) argv.push('-i', server.key.startsWith('~/') ? path.join(os.homedir(), server.key.slice(2)) : server.key);
    argv.push('--', `${server.user}@${server.host}`, args.command);
    return runProcess('ssh', argv, { cwd: ctx.sandbox.defaultFolder, timeoutMs: ctx.commandTimeoutMs, cap: ctx.cap, signal });
  },
};
