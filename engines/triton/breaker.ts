/**
 * A circuit breaker: after N consecutive failures it opens and calls fail fast (or fall back)
 * until `resetAfterMs` has passed; then one trial call is let through (half-open).
 */

/** Breaker states. */
export const BreakerState = { Closed: 'closed', Open: 'open', HalfOpen: 'half-open' } as const;
export type BreakerState = (typeof BreakerState)[keyof typeof BreakerState];

/** A consecutive-failure circuit breaker with an injectable clock. */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private current: BreakerState = BreakerState.Closed;

  constructor(
    private readonly failureThreshold: number,
    private readonly resetAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    if (this.current === BreakerState.Open && this.now() - this.openedAt >= this.resetAfterMs) return BreakerState.HalfOpen;
    return this.current;
  }

  /** Whether a call may go to the server now (claims the single half-open trial). */
  tryPass(): boolean {
    const state = this.state;
    if (state === BreakerState.Closed) return true;
    if (state === BreakerState.HalfOpen && !this.trialInFlight) {
      this.trialInFlight = true;
      return true;
    }
    return false;
  }

  onSuccess(): void {
    this.failures = 0;
    this.trialInFlight = false;
    this.current = BreakerState.Closed;
  }

  onFailure(): void {
    this.failures++;
    if (this.trialInFlight || this.failures >= this.failureThreshold) {
      this.current = BreakerState.Open;
      this.openedAt = this.now();
    }
    this.trialInFlight = false;
  }
}
