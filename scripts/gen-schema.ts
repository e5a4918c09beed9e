// Writes schemas/agents.schema.json from the zod schema (src/core/config/schema.ts), the one source of truth.
// Run by `npm run build`; `--check` fails when the committed file is stale.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { agentsJsonSchema } from '../src/core/config/jsonSchema';

const out = path.join(__dirname, '..', 'schemas', 'agents.schema.json');
const text = `${JSON.stringify(agentsJsonSchema(), null, 2)}\n`;
if (process.argv.includes('--check')) {
  const current = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
  if (current !== text) {
    console.error(`${out} is stale; run: npx tsx scripts/gen-schema.ts`);
    process.exit(1);
  }
} else {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, text);
}
