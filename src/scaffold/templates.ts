/**
 * The text of the files `troupe init` writes: a commented config, two personas (one with a journey),
 * a small locations CSV and a nightly GitHub Actions workflow. Pure: options in, text out. Every
 * duration carries a unit, and what is written runs as is against `--target demo`.
 */
import { CONFIG_SCHEMA_FILE, PERSONA_SCHEMA_FILE } from '../inputs/json-schema.js';

export const CONFIG_FILE = 'troupe.config.yaml';
export const PERSONAS_DIR = 'personas';
export const LOCATIONS_FILE = 'data/locations.csv';
export const WORKFLOW_FILE = '.github/workflows/troupe-nightly.yml';
export const ENV_EXAMPLE_FILE = '.env.example';
export const REPORTS_DIR = 'reports';

/** Where the schemas are once troupe is installed into the project (npm i -D troupe). */
const SCHEMA_DIR = 'node_modules/troupe/schema';

export function schemaLine(depth: number, file: string): string {
  return `# yaml-language-server: $schema=${depth === 0 ? './' : '../'.repeat(depth)}${SCHEMA_DIR}/${file}`;
}

/** A YAML scalar: JSON's double-quoted strings are valid YAML. */
const q = (text: string) => JSON.stringify(text);

export interface ConfigText {
  name: string;
  target: string;
  /** The demo project's request template; a recorded journey needs none. */
  demoRequest: boolean;
  /** Hosts besides the target that a recorded journey calls. */
  allowHosts: string[];
  /** Extra comment lines at the top, after the schema line. */
  intro: string[];
}

export function configText(c: ConfigText): string {
  const lines = [
    schemaLine(0, CONFIG_SCHEMA_FILE),
    '# troupe config, written by `troupe init`. Every key is optional; the README lists them all.',
    ...c.intro.map((line) => `# ${line}`),
    '',
    '# Run ids are <name>-<yyyymmdd>-<hhmmss>.',
    `name: ${q(c.name)}`,
    '# "demo" (the embedded demo target) or the base URL of your service;',
    '# `npx troupe run --target https://staging.example.com` overrides it.',
    `target: ${q(c.target)}`,
    '# A folder of persona files, and the rows each persona visits ({{location.COLUMN}} in templates).',
    '# Paths are relative to this file.',
    `personas: ${PERSONAS_DIR}`,
    `locations: ${LOCATIONS_FILE}`,
  ];
  if (c.demoRequest) {
    lines.push(
      '',
      '# The request each persona without a journey makes, once per location.',
      '# Secrets come from the environment (or .env): Authorization: "Bearer ${env:API_TOKEN}".',
      'request:',
      '  method: POST',
      '  path: /api/v1/analyze',
      '  headers:',
      '    Accept: application/json',
      '  json:',
      '    address: "{{location.address}}"',
      '    radius_miles: "{{persona.params.radius_miles}}"',
    );
  } else {
    lines.push('', '# Personas without a journey send one request per location, e.g.', '# request: { method: GET, path: "/items/{{location.id}}" }');
  }
  if (c.allowHosts.length > 0) {
    lines.push('', '# Hosts besides the target that the recorded journey calls (anything else is refused).', `allowHosts: [${c.allowHosts.map(q).join(', ')}]`);
  }
  lines.push(
    '',
    '# Requests (or journeys) in flight at most, and visits of each persona to each location',
    c.demoRequest ? '# (the second visit finds the target\'s cache warm).' : '# (a visit replays the recorded journey; data/locations.csv has one row).',
    'concurrency: 4',
    `iterations: ${c.demoRequest ? 2 : 1}`,
    'timeouts: { connect: 5s, total: 30s }',
    '',
    '# The run exits 1 when one of these fails (see README "Thresholds").',
    'thresholds:',
    '  - p95 < 500ms',
    '  - error_rate < 1%',
    '',
    '# Run directories go here (.gitignore lists it).',
    `out: ${REPORTS_DIR}`,
    '',
  );
  return lines.join('\n');
}

const personaHeader = (lines: string[]) => [schemaLine(1, PERSONA_SCHEMA_FILE), ...lines.map((l) => `# ${l}`)].join('\n');

export const PLAIN_PERSONA = `${personaHeader(['A persona is a kind of user: its headers, parameters for the request template, weight and think time.'])}
name: Casual browser
description: Looks up a neighbourhood now and then from a phone.
weight: 3                        # share of arrivals in the open model
headers:
  User-Agent: Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148
  Accept-Language: en-US,en;q=0.9
params:
  radius_miles: 1                # {{persona.params.radius_miles}} in the config's request
thinkTime: 20ms-60ms             # pause between this persona's requests
`;

export const JOURNEY_PERSONA = `${personaHeader(['A persona with a journey: several steps per visit, with checks and a captured value.', 'See README "Journeys" for every check and capture.'])}
name: Analyst
description: Checks the service is up, runs an analysis, then reads the cache counters.
params:
  radius_miles: 5
journey:
  - name: health
    request: { method: GET, path: /health }
    expect: [{ status: 200 }, { json: status, equals: ok }]
  - name: analyze
    think: 20ms-50ms
    request:
      method: POST
      path: /api/v1/analyze
      json: { address: "{{location.address}}", radius_miles: "{{persona.params.radius_miles}}" }
    expect:
      - status: 200
      - json: demographics.population
      - latency: 2s
    capture:
      served: { header: X-Cache }
  - name: stats
    request: { method: GET, path: /api/cache/stats, query: { served: "{{vars.served}}" } }
    expect: [{ json: hits }]
    onFail: continue
`;

export const DEMO_LOCATIONS = `id,name,address,city,state,tags
chi-loop,Chicago Loop,"233 S Wacker Dr, Chicago, IL 60606",Chicago,IL,urban;retail
nyc-midtown,Midtown Manhattan,"350 5th Ave, New York, NY 10118",New York,NY,urban;retail
sf-soma,San Francisco SoMa,"415 Mission St, San Francisco, CA 94105",San Francisco,CA,urban;office
sea-downtown,Downtown Seattle,"1301 2nd Ave, Seattle, WA 98101",Seattle,WA,urban;office
aus-domain,Austin Domain,"11410 Century Oaks Ter, Austin, TX 78758",Austin,TX,suburban;retail
den-cherry,Cherry Creek,"3000 E 1st Ave, Denver, CO 80206",Denver,CO,urban;retail
`;

/** A recorded journey runs once per location row: one row, one replay per iteration. */
export const RECORDED_LOCATIONS = `id,name
recorded,Recorded session
`;

export function workflowText(envVars: readonly string[]): string {
  const secrets = envVars.length > 0
    ? envVars.map((name) => `          ${name}: \${{ secrets.${name} }}`).join('\n')
    : '          # For ${env:NAME} placeholders, e.g.\n          # API_TOKEN: ${{ secrets.API_TOKEN }}';
  return `# Nightly load test with troupe, written by \`troupe init --ci github\`.
#
# troupe is a devDependency of this project (npm i -D troupe; commit package-lock.json, npm ci needs it).
# Set the repository variable TROUPE_TARGET (Settings → Secrets and variables → Actions → Variables)
# to the base URL to test, e.g. https://staging.example.com; without it the job runs the demo target.
# The job fails when troupe exits non-zero: 1 thresholds failed, 2 bad config, 3 target unreachable.
name: troupe nightly

on:
  schedule:
    - cron: '17 3 * * *' # 03:17 UTC every night
  workflow_dispatch: {}

permissions:
  contents: read

concurrency:
  group: troupe-nightly
  cancel-in-progress: false

jobs:
  load-test:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4

      - uses: actions/setup-node@v4
        with:
          node-version: 20
          cache: npm

      - run: npm ci

      - name: Load test (fails on thresholds)
        env:
          TROUPE_TARGET: \${{ vars.TROUPE_TARGET || 'demo' }}
${secrets}
        run: |
          npx troupe run --target "$TROUPE_TARGET" --name nightly --no-progress \\
            --junit troupe-junit.xml --json > troupe-summary.json

      - name: Upload the run directory
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: troupe-\${{ github.run_id }}
          path: |
            ${REPORTS_DIR}/
            troupe-summary.json
            troupe-junit.xml
          if-no-files-found: ignore
          retention-days: 30
`;
}
