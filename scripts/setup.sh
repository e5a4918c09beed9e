#!/usr/bin/env bash
# Installs what the tests, the demo and packaging need, on a fresh Debian machine or CI runner.
# Idempotent: each step is skipped when its result is already there, so re-running it costs about a second.
#   1. Debian packages (Chromium for the browser tiers, ripgrep for grep/glob, bubblewrap + socat for the command sandbox,
#      build headers for code-server's native modules, redis-server for the shared-state tests, which start their own on
#      a free loopback port)
#   2. npm ci, when node_modules is missing
#   3. a real VS Code: code-server 4.100.3 (= VS Code 1.100.3) from the npm registry under .vscode-test/code-server,
#      as a real VS Code host for the host tests (this machine cannot download desktop VS Code).
# Needs no stdin. Env: BW_SKIP_APT=1 skips step 1 (for machines where the packages are managed elsewhere).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
CODE_SERVER_VERSION=4.100.3
CS_DIR="$ROOT/.vscode-test/code-server"
# Written last; its presence means the install below completed (a half-finished install is redone).
CS_STAMP="$CS_DIR/.breakwater-install-complete-$CODE_SERVER_VERSION"

log() { printf '\n▶ [setup] %s\n' "$*"; }

# ── 1. Debian packages ────────────────────────────────────────────────────────────────────────────
# bubblewrap + socat: the OS sandbox around agents' commands (socat relays network_allow and ssh out of it).
APT_PACKAGES=(libkrb5-dev libxkbfile-dev libsecret-1-dev pkg-config ripgrep chromium openssh-client bubblewrap socat redis-server)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 && "${BW_SKIP_APT:-}" != 1 ]]; then
  log "apt-get install ${missing[*]}"
  SUDO=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    SUDO=(sudo -n)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
for cmd in rg chromium bwrap socat redis-server; do
  command -v "$cmd" >/dev/null || { echo "setup: '$cmd' is not installed; install the Debian packages ${APT_PACKAGES[*]}" >&2; exit 1; }
done

# ── 2. The project's own dependencies ───────────────────────────────────────────────────────────────
if [[ ! -d node_modules ]]; then
  log "npm ci"
  npm ci --no-audit --no-fund
fi

# ── 3. code-server (a real VS Code) ─────────────────────────────────────────────────────────────────
if [[ -f "$CS_STAMP" ]]; then
  echo "[setup] code-server $CODE_SERVER_VERSION already installed in ${CS_DIR#"$ROOT"/}"
  exit 0
fi
log "code-server $CODE_SERVER_VERSION into ${CS_DIR#"$ROOT"/} (about a minute)"
rm -rf "$CS_DIR"
mkdir -p "$CS_DIR"
cd "$CS_DIR"
npm init -y >/dev/null
# --ignore-scripts: its postinstall refuses to run as root and downloads ripgrep; we do its work below instead.
npm install --no-audit --no-fund --ignore-scripts "code-server@$CODE_SERVER_VERSION"
npm rebuild argon2
cd node_modules/code-server/lib/vscode
npm install --no-audit --no-fund --omit=dev --ignore-scripts
for m in kerberos @parcel/watcher @vscode/spdlog native-watchdog; do npm rebuild "$m"; done
# node-pty's post-install step fails (it runs `npx node-gyp` with no network) after build/Release/pty.node is built,
# so its output goes to a log and the built module is what we check.
npm rebuild node-pty >"$CS_DIR/node-pty-rebuild.log" 2>&1 || true
test -f node_modules/node-pty/build/Release/pty.node || { cat "$CS_DIR/node-pty-rebuild.log" >&2; echo "setup: node-pty did not build" >&2; exit 1; }
ln -sfn node_modules node_modules.asar
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
cd extensions
npm install --no-audit --no-fund --omit=dev --ignore-scripts
touch "$CS_STAMP"
echo "[setup] code-server $CODE_SERVER_VERSION ready"
