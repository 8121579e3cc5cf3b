/**
 * A chain of timed checks with at most one check running or waiting at any
 * time, however often `ensure` is called: jobs start while a check awaits the
 * queue, and each start must not begin a chain of its own.
 */
export class CheckLoop {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;

  constructor(
    private readonly check: () => Promise<void>,
    private readonly intervalMs: () => number,
    /** Asked after each check: is there anything left to watch? */
    private readonly keepGoing: () => boolean,
  ) {}

  /** Schedule the next check, unless one is already scheduled or running. */
  ensure(): void {
    if (this.timer !== undefined || this.running || this.stopped) return;
    this.timer = setTimeout(() => void this.run(), this.intervalMs());
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    if (this.stopped) return;
    this.running = true;
    try {
      await this.check();
    } finally {
      this.running = false;
    }
    if (this.keepGoing()) this.ensure();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
