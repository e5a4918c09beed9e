/** Headless Debian Chromium through playwright-core (no browser download: these machines cannot fetch one). */
import * as fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { HostSetupError } from './codeServer';

export const chromiumPath = process.env.BREAKWATER_CHROMIUM ?? '/usr/bin/chromium';

/** Flags that keep Chromium from reaching the network on its own (updates, sync, QUIC) in a container. */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(chromiumPath)) {
    throw new HostSetupError(`Chromium not found at ${chromiumPath}. Run: bash scripts/setup.sh (or set BREAKWATER_CHROMIUM)`);
  }
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: [...chromiumArgs] });
}
