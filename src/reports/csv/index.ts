/** The CSV set under <run-dir>/csv/ (see README "The run directory"). */
import { mkdir } from 'node:fs/promises';
import { csvPath, runDirPaths } from '../../run-dir/layout.js';
import type { FormatBuilder } from '../build.js';
import { checksTable, harnessCacheTable, loadTable, warmupTable } from './load-tables.js';
import { hasExtendedRequests, RequestsCsv } from './requests.js';
import { cacheTable, errorsTable, locationsTable, percentilesTable, personasTable, stepsTable, timeseriesTable, type Table } from './tables.js';
import { writeCsv } from './writer.js';

export const csvFormat: FormatBuilder = {
  // csv/ is made here, not by the caller: `--format pdf` alone leaves no empty folder behind.
  async openSink(data) {
    await mkdir(runDirPaths(data.dir).csv, { recursive: true });
    return RequestsCsv.open(csvPath(data.dir, 'requests.csv'), data.status, hasExtendedRequests(data.summary, data.manifest?.config));
  },
  async build(data) {
    await mkdir(runDirPaths(data.dir).csv, { recursive: true });
    const { summary, status, facts } = data;
    const tables: [string, Table][] = [
      ['personas.csv', personasTable(summary, status)],
      ['locations.csv', locationsTable(summary, data.personaLocations, status)],
      ['steps.csv', stepsTable(summary, status)],
      ['percentiles.csv', percentilesTable(summary, status)],
      ['errors.csv', errorsTable(facts.errors, summary.global.requests, status)],
      ['timeseries.csv', timeseriesTable(facts.timeseries, status, summary.generator?.seconds, summary.vus?.perSecond)],
      ['cache.csv', cacheTable(summary, status)],
    ];
    // Only when summary.json has their part: a closed-model run without these features gets the set above.
    for (const [name, table] of [
      ['checks.csv', checksTable(summary, status)],
      ['load.csv', loadTable(summary, facts.arrivals, status)],
      ['warmup.csv', warmupTable(summary, status)],
      ['harness-cache.csv', harnessCacheTable(summary, status)],
    ] as const) {
      if (table) tables.push([name, table]);
    }
    const files = [csvPath(data.dir, 'requests.csv')];
    for (const [name, table] of tables) {
      const path = csvPath(data.dir, name);
      await writeCsv(path, table.header, table.rows);
      files.push(path);
    }
    return files;
  },
};
