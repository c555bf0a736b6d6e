import { sleep } from '../util/async.ts';

/**
 * A token bucket that paces writes below AWS's own throttling buckets (e.g. EC2
 * DeleteSnapshot: ~5/s sustained), so a large cleanup never trips the account's limits.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly perSecond: number,
    readonly burst: number,
    private readonly clock: () => number = () => performance.now(),
    private readonly wait: (ms: number) => Promise<void> = sleep,
  ) {
    this.tokens = burst;
    this.last = clock();
  }

  /** Resolves when a token is available; callers are served in order. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.takeNow());
    this.queue = turn;
    return turn;
  }

  private async takeNow(): Promise<void> {
    this.refill();
    if (this.tokens < 1) {
      await this.wait(((1 - this.tokens) / this.perSecond) * 1000);
      this.refill();
    }
    this.tokens -= 1;
  }

  private refill() {
    const now = this.clock();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }
}

export interface WritePacing {
  perSecond: number;
  burst: number;
}

/** Default write pace per service: below the documented sustained rates. */
export const DEFAULT_WRITE_PACING: Record<string, WritePacing> = {
  ec2: { perSecond: 4, burst: 20 },
  autoscaling: { perSecond: 4, burst: 10 },
  s3: { perSecond: 10, burst: 20 },
  cloudwatchlogs: { perSecond: 4, burst: 10 },
};
