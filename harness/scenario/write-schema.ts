// Writes scenarios/schema.json and kernels/schema.json (JSON Schema 2020-12) from the
// zod schemas, for editor completion. Run after tsc: node dist/harness/scenario/write-schema.js
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { recipeSchema } from '../../kernels/recipe/schema.js';
import { scenarioSchema } from './schema.js';

// dist/harness/scenario -> repo root; cwd may be anywhere (npm scripts, CI).
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function write(rel: string, schema: z.ZodType): void {
  // io: 'input' describes what a user writes (defaults optional, durations as strings).
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
  const out = path.join(root, rel);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`wrote ${rel}`);
}

write('scenarios/schema.json', scenarioSchema());
write('kernels/schema.json', recipeSchema);
