import { Writable } from 'node:stream'
import pino, { type Logger } from 'pino'
import { emptyContext, type ClusterContext } from '../../src/cluster/context.js'
import { buildAdmissionApp } from '../../src/server/app.js'
import { createMetrics, type Metrics } from '../../src/server/metrics.js'
import type { PolicySet } from '../../src/policy/types.js'

/** A logger whose JSON lines the test can read back as objects. */
export function capturingLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString())
      cb()
    },
  })
  const logger = pino({ level: 'info' }, stream)
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
  return { logger, lines }
}

export const testLimits = { bodyLimit: 64 * 1024, requestTimeout: 5_000, keepAliveTimeout: 5_000, maxConcurrent: 64 }

export function testApp(policies: PolicySet, options: { cluster?: ClusterContext; metrics?: Metrics; logger?: Logger } = {}) {
  const metrics = options.metrics ?? createMetrics()
  const logger = options.logger ?? pino({ level: 'silent' })
  const cluster = options.cluster ?? emptyContext
  return buildAdmissionApp({ config: testLimits, logger, metrics, state: { policies: () => policies, cluster: () => cluster } })
}
