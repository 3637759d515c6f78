import { mkdir } from 'node:fs/promises';
import type { EngineRecord } from '../engine/records.js';
import type { Clock } from '../engine/clock.js';
import { systemClock } from '../engine/clock.js';
import type { PersonaSnapshot } from '../metrics/run-metrics.js';
import { runDirPaths, snapshotPath } from '../run-dir/layout.js';
import { snapshotText } from '../run-dir/write.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Output } from './output.js';

export interface SnapshotSource {
  /** The current snapshot document of one persona. */
  snapshot(persona: string): PersonaSnapshot;
}

interface PersonaFile {
  path: string;
  lastWrite: number;
  /** Cancels the pending throttled write. */
  timer: (() => void) | null;
  /** Writes of one file are chained so two renames never race. */
  chain: Promise<void>;
  dirty: boolean;
}

/**
 * Keeps personas/<slug>.json current while a persona runs: rewritten atomically at most every
 * `intervalMs`, and once more when the persona finishes and when the run stops.
 */
export class SnapshotSink implements Output {
  readonly name = 'snapshots';
  readonly when = 'live' as const;
  private readonly files = new Map<string, PersonaFile>();
  private failure: unknown = null;

  constructor(
    /** The run directory: snapshots go to its personas/ folder. */
    private readonly runDir: string,
    private readonly slugs: ReadonlyMap<string, string>,
    private readonly source: SnapshotSource,
    private readonly intervalMs = 500,
    private readonly clock: Clock = systemClock,
  ) {}

  async start(): Promise<void> {
    await mkdir(runDirPaths(this.runDir).personas, { recursive: true });
  }

  write(record: EngineRecord): void {
    // Setup and teardown requests are not the persona's load figures.
    if (record.type === 'session') return;
    const file = this.fileFor(record.persona);
    if (record.type === 'persona-end') {
      this.writeNow(record.persona, file);
      return;
    }
    file.dirty = true;
    if (file.timer) return;
    const wait = Math.max(0, file.lastWrite + this.intervalMs - this.clock.now());
    file.timer = this.clock.timeout(wait, () => this.writeNow(record.persona, file));
  }

  private fileFor(persona: string): PersonaFile {
    let file = this.files.get(persona);
    if (!file) {
      const slug = this.slugs.get(persona) ?? 'persona';
      file = { path: snapshotPath(this.runDir, slug), lastWrite: -Infinity, timer: null, chain: Promise.resolve(), dirty: false };
      this.files.set(persona, file);
    }
    return file;
  }

  private writeNow(persona: string, file: PersonaFile): void {
    file.timer?.();
    file.timer = null;
    file.dirty = false;
    file.lastWrite = this.clock.now();
    let content: string;
    try {
      content = snapshotText(file.path, this.source.snapshot(persona));
    } catch (err) {
      this.failure ??= err;
      return;
    }
    file.chain = file.chain
      .then(() => writeFileAtomic(file.path, content))
      .catch((err) => {
        this.failure ??= err;
      });
  }

  async stop(): Promise<void> {
    for (const [persona, file] of this.files) {
      if (file.dirty || file.timer) this.writeNow(persona, file);
    }
    await Promise.all([...this.files.values()].map((f) => f.chain));
    if (this.failure) throw this.failure;
  }
}
