// Writes schemas/agents.schema.json from the zod schema (src/core/config/schema.ts), the one source of truth.
// Run by `npm run build`; `--check` fails when the committed file is stale; `--sensitive` prints the README's table of
// sensitive keys and narrowing rules, walked from the same schema.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { agentsJsonSchema } from '../src/core/config/jsonSchema';
import { SCHEMA_FIELDS } from '../src/core/config/schemaWalk';

if (process.argv.includes('--sensitive')) {
  const key = (p: readonly string[]) => `\`${p.join('.')}\``;
  const rows = SCHEMA_FIELDS.sensitive.map((f) => `| ${key(f.perEntry ? [...f.path, '*'] : f.path)} | ${f.meta.kind} | ${f.meta.why}${SCHEMA_FIELDS.userOnly.filter((u) => u.path.join('.').startsWith(f.path.join('.'))).map((u) => `; \`${u.path.at(-1)}: ${u.values.join(', ')}\` only in your own file`).join('')} |`);
  const narrowing = SCHEMA_FIELDS.combined.map((c) => `| ${key(c.path)} | ${c.combine} |`);
  console.log(['| key | kind | from a workspace file it… |', '| --- | --- | --- |', ...rows, '', '| narrows only | rule |', '| --- | --- |', ...narrowing].join('\n'));
  process.exit(0);
}

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
