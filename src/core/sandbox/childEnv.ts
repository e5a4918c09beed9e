/**
 * The environment of every child process (bash, ssh, ripgrep), built from an allowlist so API keys,
 * tokens and other secrets of the editor or CLI never reach a command the model wrote.
 */
const ALLOWED_NAMES = new Set([
  'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TERM', 'TMPDIR', 'TEMP', 'TMP', 'TZ', 'PWD',
  'COLORTERM', 'NO_COLOR', 'FORCE_COLOR', 'EDITOR', 'PAGER',
  // Windows essentials for child processes to start at all.
  'SYSTEMROOT', 'SYSTEMDRIVE', 'WINDIR', 'COMSPEC', 'PATHEXT', 'USERPROFILE', 'APPDATA', 'LOCALAPPDATA', 'PROGRAMDATA',
  // ssh uses the agent socket to authenticate without reading key files itself; it is a path, not a secret.
  'SSH_AUTH_SOCK',
]);
const ALLOWED_PREFIXES = ['LC_'];

/** Names that hint at a credential; refused even when allowlisted by mistake. */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH(?!_SOCK$)|SESSION|COOKIE|PRIVATE/i;
const PROVIDER_PREFIXES = ['ANTHROPIC_', 'OPENAI_', 'OLLAMA_', 'AZURE_', 'AWS_', 'GOOGLE_', 'GCP_', 'GEMINI_', 'MISTRAL_', 'GROQ_', 'OPENROUTER_', 'HF_', 'GITHUB_', 'GH_', 'NPM_', 'BREAKWATER_'];

/** A name that holds a credential (a provider's key, a token, a password), whatever else it is. */
export function isSecretEnvName(name: string): boolean {
  const upper = name.toUpperCase();
  return upper !== 'SSH_AUTH_SOCK' && SECRET_NAME.test(upper);
}

export function isAllowedEnvName(name: string): boolean {
  const upper = name.toUpperCase();
  if (SECRET_NAME.test(upper) && upper !== 'SSH_AUTH_SOCK') return false;
  if (PROVIDER_PREFIXES.some((p) => upper.startsWith(p))) return false;
  return ALLOWED_NAMES.has(upper) || ALLOWED_PREFIXES.some((p) => upper.startsWith(p));
}

/** A copy of `source` holding only allowlisted names; `extra` (also filtered) is added on top. */
export function buildChildEnv(source: NodeJS.ProcessEnv = process.env, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries({ ...source, ...extra })) {
    if (value !== undefined && isAllowedEnvName(name)) env[name] = value;
  }
  env.PATH ??= '/usr/local/bin:/usr/bin:/bin';
  return env;
}
