/**
 * Virtual users' sessions over the journey runner. In the closed model a session belongs to a VU and
 * the persona it plays (one per VU × persona: a VU that plays two personas logs in as each): its
 * `setup:` runs once before that VU's first visit of the persona, its `teardown:` when the VU ends
 * (onVuEnd). In the open model (vu 0) each arrival gets a fresh session — setup, visit, teardown — unless
 * its persona says `session: reuse`: then arrivals share a pool of at most `sessionPool` sessions, each
 * set up once. A failed setup is retried `setupFailure.retries` times; then the session stops (the VU
 * ends, or the arrival skips its visit) or continues without it. Setup and teardown requests are
 * emitted as `session` records, apart from the load.
 */
import type { JourneyStep } from '../inputs/journey.js';
import type { Persona, SetupFailurePolicy } from '../inputs/types.js';
import type { JourneyJob, JourneyResult, JourneyRunner, SessionLayer, StepContext, StepRunner } from './journey.js';
import type { EngineRecord, SessionRecord } from './records.js';
import { NO_LOCATION, RUN_PERSONA, Session } from './session.js';

export const DEFAULT_SETUP_FAILURE: SetupFailurePolicy = { retries: 0, then: 'stop' };
/** Open model, `session: reuse` without `sessionPool` or `concurrency`: at most this many sessions. */
export const DEFAULT_SESSION_POOL = 10;

export interface SessionsOptions {
  onRecord: (record: EngineRecord) => void;
  /** The run-level setup's captures, read-only in every session. */
  setupVars?: Readonly<Record<string, unknown>>;
  /** The run-level session's secrets (its cookies): masked in every session's records too. */
  setupSecrets?: readonly string[];
}

/** A persona without a journey: one step, its request. */
const SINGLE_REQUEST: ReadonlyArray<JourneyStep | undefined> = Object.freeze([undefined]);

const ABORTED: JourneyResult = Object.freeze({ records: [], aborted: true });
const SKIPPED: JourneyResult = Object.freeze({ records: [], aborted: false });

type SetupOutcome = 'ok' | 'failed' | 'aborted';

/** Open model, `session: reuse`: sessions handed from one arrival to the next. */
interface Pool {
  size: number;
  created: number;
  idle: Session[];
  /** Arrivals waiting for a session; null wakes one to create a session in a freed place. */
  waiters: Array<(session: Session | null) => void>;
}

export class Sessions implements SessionLayer {
  private runSteps: StepRunner | null = null;
  private readonly byVu = new Map<number, Map<string, Session>>();
  private readonly pools = new Map<string, Pool>();
  private readonly seenVus = new Set<number>();
  private readonly stopped = new Set<number>();
  private poolSerial = 0;
  /** The first setup failure that stopped a session, for the message when every VU stopped. */
  firstFailure: string | null = null;

  constructor(private readonly options: SessionsOptions) {}

  /** VUs that stopped after their setup failed (`setupFailure.then: stop`). */
  get stoppedVus(): number {
    return this.stopped.size;
  }

  /** True when VUs ran and every one of them stopped after its setup failed. */
  get everyVuStopped(): boolean {
    return this.seenVus.size > 0 && this.stopped.size === this.seenVus.size;
  }

  runner(runSteps: StepRunner): JourneyRunner {
    this.runSteps ??= runSteps;
    return (job) => (job.vu > 0 ? this.vuVisit(job, runSteps) : job.persona.session ? this.pooledVisit(job, runSteps) : this.freshVisit(job, runSteps));
  }

  /** onVuEnd: the VU's sessions get their teardowns, one after the other, and are forgotten. */
  async endVu(vu: number): Promise<void> {
    const mine = this.byVu.get(vu);
    if (!mine) return;
    this.byVu.delete(vu);
    for (const session of mine.values()) await this.teardown(session, this.runSteps!);
  }

  /** At the end of the load: whatever sessions are left (pools, VUs never ended) get their teardowns. */
  async close(): Promise<void> {
    const vus = [...this.byVu.keys()].map((vu) => this.endVu(vu));
    const pooled = [...this.pools.values()].flatMap((pool) => pool.idle.splice(0).map((session) => this.teardown(session, this.runSteps!)));
    await Promise.all([...vus, ...pooled]);
  }

  private newSession(persona: Persona, vu: number): Session {
    return new Session(persona, vu, this.options.setupVars, this.options.setupSecrets);
  }

  /** Not async for a VU whose session is set up: the visit's promise is returned as it is (one suspended frame fewer per visit). */
  private vuVisit(job: JourneyJob, runSteps: StepRunner): Promise<JourneyResult> {
    const session = this.byVu.get(job.vu)?.get(job.persona.name);
    if (session === undefined || (session.state === 'failed' && policyOf(job.persona).then === 'stop')) return this.firstVuVisit(job, runSteps);
    return this.visit(session, job, runSteps);
  }

  private async firstVuVisit(job: JourneyJob, runSteps: StepRunner): Promise<JourneyResult> {
    this.seenVus.add(job.vu);
    let mine = this.byVu.get(job.vu);
    if (!mine) this.byVu.set(job.vu, (mine = new Map()));
    let session = mine.get(job.persona.name);
    if (!session) {
      session = this.newSession(job.persona, job.vu);
      mine.set(job.persona.name, session);
      if ((await this.setup(session, `vu${job.vu}`, runSteps)) === 'aborted') {
        mine.delete(job.persona.name);
        return ABORTED;
      }
    }
    if (session.state === 'failed' && policyOf(job.persona).then === 'stop') {
      this.stopped.add(job.vu);
      return { records: [], aborted: false, stopVu: true };
    }
    return this.visit(session, job, runSteps);
  }

  private async freshVisit(job: JourneyJob, runSteps: StepRunner): Promise<JourneyResult> {
    const session = this.newSession(job.persona, 0);
    const setup = await this.setup(session, String(job.iteration), runSteps);
    if (setup === 'aborted') return ABORTED;
    if (setup === 'failed' && policyOf(job.persona).then === 'stop') return SKIPPED;
    const result = await this.visit(session, job, runSteps);
    if (!result.aborted) await this.teardown(session, runSteps);
    return result;
  }

  private async pooledVisit(job: JourneyJob, runSteps: StepRunner): Promise<JourneyResult> {
    const pool = this.poolOf(job.persona);
    for (;;) {
      let session = pool.idle.pop() ?? null;
      if (session === null && pool.created >= pool.size) session = await new Promise<Session | null>((resolve) => pool.waiters.push(resolve));
      if (session === null) {
        if (pool.created >= pool.size) continue;
        pool.created++;
        session = this.newSession(job.persona, 0);
        const setup = await this.setup(session, `pool${++this.poolSerial}`, runSteps);
        if (setup === 'aborted' || (setup === 'failed' && policyOf(job.persona).then === 'stop')) {
          // Its place is free again: the next arrival (or one waiting) logs in anew.
          pool.created--;
          pool.waiters.shift()?.(null);
          return setup === 'aborted' ? ABORTED : SKIPPED;
        }
      }
      try {
        return await this.visit(session, job, runSteps);
      } finally {
        const next = pool.waiters.shift();
        if (next) next(session);
        else pool.idle.push(session);
      }
    }
  }

  private poolOf(persona: Persona): Pool {
    let pool = this.pools.get(persona.name);
    if (!pool) {
      pool = { size: persona.session?.pool ?? persona.concurrency ?? DEFAULT_SESSION_POOL, created: 0, idle: [], waiters: [] };
      this.pools.set(persona.name, pool);
    }
    return pool;
  }

  private visit(session: Session, job: JourneyJob, runSteps: StepRunner): Promise<JourneyResult> {
    session.visited = true;
    return runSteps(job, job.persona.journey ?? SINGLE_REQUEST, session.visitContext());
  }

  /** The persona's setup, retried as its `setupFailure` says; the captures join the session once it ends. */
  private async setup(session: Session, label: string, runSteps: StepRunner): Promise<SetupOutcome> {
    const { persona } = session;
    const steps = persona.setup;
    if (!steps) {
      session.state = 'ready';
      return 'ok';
    }
    const policy = policyOf(persona);
    const job = phaseJob('setup', persona, label, session.vu);
    for (let attempt = 1; ; attempt++) {
      const vars = Object.create(null) as Record<string, unknown>;
      const ran = await runPhase(runSteps, job, steps, session.context(vars, true));
      if (ran === null) return 'aborted';
      const final = ran.failure === null || attempt > policy.retries;
      // A setup that failed for good keeps what it did capture: `then: continue` visits may still use it.
      if (final) Object.assign(session.vars, vars);
      const record = phaseRecord('setup', persona, session.vu, attempt, final, ran);
      if (final && ran.failure !== null) {
        record.then = policy.then;
        if (policy.then === 'stop') this.firstFailure ??= describeFailure(persona, session.vu, ran.failure);
      }
      this.options.onRecord(record);
      if (ran.failure === null) {
        session.state = 'ready';
        return 'ok';
      }
      if (final) {
        session.state = 'failed';
        return 'failed';
      }
    }
  }

  /** Once, for a session that ran visits; never retried (what it cleans up may already be gone). */
  private async teardown(session: Session, runSteps: StepRunner): Promise<void> {
    const steps = session.persona.teardown;
    if (!steps || !session.visited) return;
    session.visited = false;
    const ran = await runPhase(runSteps, phaseJob('teardown', session.persona, session.vu > 0 ? `vu${session.vu}` : 'session', session.vu), steps, session.context(undefined, true));
    if (ran !== null) this.options.onRecord(phaseRecord('teardown', session.persona, session.vu, 1, true, ran));
  }
}

export interface RunPhaseOptions {
  runSteps: StepRunner;
  onRecord: (record: EngineRecord) => void;
}

/** The run-level session: its setup's captures (`{{setup.NAME}}`) and cookies, kept for its teardown. */
export interface RunSession {
  session: Session;
  /** What ended the setup early; null when it passed. */
  failure: string | null;
  aborted: boolean;
}

/** The config's `setup:`, once before the load. */
export async function runRunSetup(options: RunPhaseOptions, steps: readonly JourneyStep[]): Promise<RunSession> {
  const session = new Session(RUN_PERSONA, 0, undefined);
  const vars = Object.create(null) as Record<string, unknown>;
  const ran = await runPhase(options.runSteps, phaseJob('setup', RUN_PERSONA, 'run', 0), steps, session.context(vars, true));
  if (ran === null) return { session, failure: 'cut by the stop signal', aborted: true };
  Object.assign(session.vars, vars);
  options.onRecord(phaseRecord('setup', null, 0, 1, true, ran));
  return { session, failure: ran.failure, aborted: false };
}

/** The config's `teardown:`, once after the load; it reads `{{setup.NAME}}` and has the setup's cookies. */
export async function runRunTeardown(options: RunPhaseOptions, steps: readonly JourneyStep[], setup: Session | null): Promise<void> {
  const session = setup ?? new Session(RUN_PERSONA, 0, undefined);
  const shared = Object.freeze({ ...session.vars });
  const ctx: StepContext = { ...session.context(Object.create(null) as Record<string, unknown>, true), setup: shared };
  const ran = await runPhase(options.runSteps, phaseJob('teardown', RUN_PERSONA, 'run', 0), steps, ctx);
  if (ran !== null) options.onRecord(phaseRecord('teardown', null, 0, 1, true, ran));
}

function policyOf(persona: Persona): SetupFailurePolicy {
  return persona.setupFailure ?? DEFAULT_SETUP_FAILURE;
}

function phaseJob(phase: 'setup' | 'teardown', persona: Persona, label: string, vu: number): JourneyJob {
  return { id: `${phase}/${persona.slug}/${label}`, persona, location: NO_LOCATION, iteration: 0, vu };
}

/** The steps' result, or null when the grace period cut them (nothing is reported of them then). */
async function runPhase(runSteps: StepRunner, job: JourneyJob, steps: readonly JourneyStep[], ctx: StepContext) {
  const ran = await runSteps(job, steps, ctx);
  return ran.aborted ? null : ran;
}

function phaseRecord(phase: 'setup' | 'teardown', persona: Persona | null, vu: number, attempt: number, final: boolean, ran: { records: SessionRecord['results']; failure: string | null }): SessionRecord {
  return {
    type: 'session',
    phase,
    ...(persona ? { persona: persona.name } : {}),
    vu,
    attempt,
    ok: ran.failure === null,
    final,
    ...(ran.failure !== null ? { message: ran.failure } : {}),
    results: ran.records,
  };
}

function describeFailure(persona: Persona, vu: number, failure: string): string {
  return `persona ${JSON.stringify(persona.name)}${vu > 0 ? `, VU ${vu}` : ''}: ${failure}`;
}
