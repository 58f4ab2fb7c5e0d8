import t from 'tap'
import { Backoff, sleep } from '../../src/cluster/backoff.js'

t.test('doubles from the initial delay up to the cap', async (t) => {
  const backoff = new Backoff({ initialMs: 200, maxMs: 10_000 }, () => 0.5)
  const delays = Array.from({ length: 9 }, () => backoff.next())
  t.same(delays, [200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000])
})

t.test('jitter stays within ±20 % and never exceeds the cap', async (t) => {
  const low = new Backoff({ initialMs: 200, maxMs: 10_000 }, () => 0)
  const high = new Backoff({ initialMs: 200, maxMs: 10_000 }, () => 0.999_999)
  t.equal(low.next(), 160)
  t.equal(high.next(), 240)
  for (let i = 0; i < 10; i++) t.ok(high.next() <= 10_000)
})

t.test('reset starts again from the initial delay', async (t) => {
  const backoff = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 0.5)
  backoff.next()
  backoff.next()
  backoff.reset()
  t.equal(backoff.next(), 100)
})

t.test('sleep ends early when aborted', async (t) => {
  const controller = new AbortController()
  const slept = sleep(60_000, controller.signal)
  controller.abort()
  await slept
  t.pass('an aborted sleep resolves instead of holding the test for a minute')
})
