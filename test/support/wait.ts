import { describeError } from '../../src/errors.js'

/**
 * Polls `probe` until it returns something other than undefined/false, and returns that. Tests wait on the
 * condition they need (a gauge, a log line, a request the fake API saw), never for a fixed time; the timeout is
 * generous on purpose: the test machines are shared and noisy, and the tests assert what happens, never how fast.
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await probe()
      if (value !== undefined && value !== false) return value
    } catch (err) {
      lastError = err
    }
    if (Date.now() > deadline) {
      const why = lastError === undefined ? '' : ` (last error: ${describeError(lastError)})`
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
