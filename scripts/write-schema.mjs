// Build step (after tsc): writes the JSON Schemas generated from the zod schemas into schema/, the
// folder the package ships: the inputs' (config, persona files), which `troupe init`'s
// yaml-language-server lines point at, and the run directory's (summary.json, run.json), for users
// who build on a run's files.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { CONFIG_SCHEMA_FILE, PERSONA_SCHEMA_FILE, configJsonSchema, personaJsonSchema } from '../dist/src/inputs/json-schema.js';
import { runDirJsonSchemas } from '../dist/src/run-dir/schemas.js';
import { writeFileAtomic } from '../dist/src/util/atomic-write.js';
import { TROUPE_VERSION } from '../dist/src/version.js';

const dir = fileURLToPath(new URL('../schema/', import.meta.url));
await mkdir(dir, { recursive: true });
for (const [file, schema] of [[CONFIG_SCHEMA_FILE, configJsonSchema()], [PERSONA_SCHEMA_FILE, personaJsonSchema()], ...runDirJsonSchemas(TROUPE_VERSION)]) {
  await writeFileAtomic(join(dir, file), `${JSON.stringify(schema, null, 2)}\n`);
}
