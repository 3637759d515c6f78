// Build step (after tsc): writes the JSON Schemas generated from the zod schemas into schema/, the
// folder the package ships and `troupe init`'s yaml-language-server lines point at.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { CONFIG_SCHEMA_FILE, PERSONA_SCHEMA_FILE, configJsonSchema, personaJsonSchema } from '../dist/src/inputs/json-schema.js';
import { writeFileAtomic } from '../dist/src/util/atomic-write.js';

const dir = fileURLToPath(new URL('../schema/', import.meta.url));
await mkdir(dir, { recursive: true });
for (const [file, schema] of [[CONFIG_SCHEMA_FILE, configJsonSchema()], [PERSONA_SCHEMA_FILE, personaJsonSchema()]]) {
  await writeFileAtomic(join(dir, file), `${JSON.stringify(schema, null, 2)}\n`);
}
