/**
 * The running half of `npm run demo` (scripts/demo.mjs installs and builds first): code-server with Breakwater
 * installed (a symlink to this checkout in a fresh extensions dir) on a copy of the sample workspace, until Ctrl-C.
 * Env: BW_DEMO_PORT fixes the port (default: a free one).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, startCodeServer } from './codeServer';

interface Providers {
  readonly keys: string[];
  readonly ollama: string | undefined;
}

async function detectProviders(): Promise<Providers> {
  const keys = ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY'].filter((k) => (process.env[k] ?? '').trim() !== '');
  const raw = process.env.OLLAMA_HOST?.trim() || 'http://127.0.0.1:11434';
  const host = /^https?:\/\//.test(raw) ? raw : `http://${raw}`;
  let ollama: string | undefined;
  try {
    const res = await fetch(new URL('/api/tags', host), { signal: AbortSignal.timeout(1500) });
    if (res.ok) ollama = host;
  } catch {
    // no Ollama there
  }
  return { keys, ollama };
}

function extensionVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

async function main(): Promise<void> {
  const port = process.env.BW_DEMO_PORT ? Number(process.env.BW_DEMO_PORT) : undefined;
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    throw new Error(`BW_DEMO_PORT must be a port number (1-65535), got "${process.env.BW_DEMO_PORT}"`);
  }
  const providers = await detectProviders();
  // Not offline: a user with internet may want the marketplace next to Breakwater.
  const server = await startCodeServer({ offline: false, ...(port === undefined ? {} : { port }) });
  // Installed, not loaded "in development": the workbench looks as it does for a user.
  fs.symlinkSync(repoRoot, path.join(server.extensionsDir, `breakwater.breakwater-${extensionVersion()}`), 'dir');

  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping code-server…');
    void server.stop().finally(() => process.exit(code));
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));

  const url = `${server.url}/?folder=${encodeURIComponent(server.workspace)}`;
  console.log('\nBreakwater is running in a real VS Code (code-server 4.100.3 = VS Code 1.100.3).');
  console.log(`  Open:      ${url}`);
  console.log(`  Workspace: ${server.workspace} (a copy of test/fixtures/sample-workspace, agents in .breakwater/agents.yaml)`);
  if (providers.keys.length > 0 || providers.ollama) {
    // Keys from the environment reach the extension host; in this (trusted) window Breakwater uses them when
    // SecretStorage has none, each sent only to its provider's official address or the matching *_BASE_URL.
    const found = [...providers.keys.map((k) => `${k} is set (used, sent only to ${k.startsWith('ANTHROPIC') ? 'api.anthropic.com' : 'api.openai.com'} or ${k.replace('_API_KEY', '_BASE_URL')})`), ...(providers.ollama ? [`Ollama answers at ${providers.ollama}`] : [])];
    console.log(`  Providers: ${found.join('; ')}. Open Breakwater in the activity bar and ask an agent.`);
  } else {
    console.log('  Providers: none found. Either start this with ANTHROPIC_API_KEY or OPENAI_API_KEY set,');
    console.log('             run Ollama locally (http://127.0.0.1:11434 or OLLAMA_HOST), or in the workbench press');
    console.log('             F1 → "Breakwater: Set API Key".');
  }
  console.log('  Logs:      ' + server.logFile);
  console.log('Press Ctrl-C to stop.');
  // Stay up until a signal; a code-server that dies on its own ends the demo with an error.
  setInterval(() => {
    void fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5000) }).catch(() => {
      console.error('code-server stopped answering; see ' + server.logFile);
      stop(1);
    });
  }, 10_000);
}

main().catch((e: unknown) => {
  console.error(`✘ demo: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
