/**
 * A worker thread's backpressure towards the main thread: at most `max` batches sent and not yet
 * acknowledged. Every VU of the worker asks `ready()` before it takes its next item; while the window
 * is full they all wait on one promise, and the ack that opens it wakes every one of them (a single
 * remembered waiter woke only the last VU to ask: the others slept for ever, so the worker never ended).
 */
export class AckWindow {
  private unacked = 0;
  private open: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly max: number) {}

  get pending(): number {
    return this.unacked;
  }

  sent(): void {
    this.unacked++;
  }

  acked(): void {
    this.unacked--;
    if (this.unacked < this.max && this.wake) {
      const wake = this.wake;
      this.open = null;
      this.wake = null;
      wake();
    }
  }

  /** Undefined while there is room; else the promise every waiter shares until an ack makes room. */
  readonly ready = (): Promise<void> | undefined => {
    if (this.unacked < this.max) return undefined;
    return (this.open ??= new Promise<void>((resolve) => (this.wake = resolve)));
  };
}
