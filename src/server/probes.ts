import Fastify, { LogController, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Metrics } from './metrics.js'

/** Named conditions that must all hold before the webhook takes traffic. */
export type Readiness = () => Record<string, boolean>

/** Plain-HTTP probes and metrics on their own port, so kubelet and Prometheus need no TLS client setup. */
export function buildProbeApp(deps: { logger: Logger; readiness: Readiness; metrics: Metrics }): FastifyInstance {
  const app = Fastify({ loggerInstance: deps.logger, logController: new LogController({ disableRequestLogging: true }) }) as unknown as FastifyInstance
  app.get('/livez', (_request, reply) => reply.send({ status: 'ok' }))
  app.get('/readyz', async (_request, reply) => {
    const checks = deps.readiness()
    const ready = Object.values(checks).every(Boolean)
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks })
  })
  app.get('/metrics', async (_request, reply) => {
    const body = await deps.metrics.registry.metrics()
    return reply.type(deps.metrics.registry.contentType).send(body)
  })
  return app
}
