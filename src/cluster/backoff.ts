export interface BackoffOptions {
  /** first delay; 200 ms is short enough that a blip is invisible and long enough not to hammer the API */
  initialMs: number
  /** cap; client-go's reflector also settles around ten seconds between relists of a failing watch */
  maxMs: number
}

export const defaultBackoff: BackoffOptions = Object.freeze({ initialMs: 200, maxMs: 10_000 })

/**
 * Capped exponential backoff with jitter. The jitter (±20 %) keeps the replicas of the webhook, which all
 * lose the API server at the same moment, from reconnecting in lock-step.
 */
export class Backoff {
  private attempt = 0

  constructor(
    private readonly options: BackoffOptions = defaultBackoff,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const base = Math.min(this.options.maxMs, this.options.initialMs * 2 ** this.attempt)
    if (base < this.options.maxMs) this.attempt++
    const jittered = base * (0.8 + 0.4 * this.random())
    return Math.round(Math.min(this.options.maxMs, jittered))
  }

  reset(): void {
    this.attempt = 0
  }
}

/** A sleep that ends early, without throwing, when the signal aborts; its timer never holds the process open. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const onAbort = (): void => {
      clearTimeout(timer)
      resolve()
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    timer.unref()
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
