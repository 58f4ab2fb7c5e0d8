import { STATUS_CODES } from 'node:http'
import type { ServerOptions as HttpsOptions } from 'node:https'
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { handleReview, type ReviewOutcome } from '../admission/handle.js'
import type { ClusterContext } from '../cluster/context.js'
import type { ServeConfig } from '../config.js'
import type { Webhook } from '../engine/decide.js'
import { GuardError, guardError, isGuardError } from '../errors.js'
import type { PolicySet } from '../policy/types.js'
import type { Metrics } from './metrics.js'

/** What the admission routes read on every request; swapped as a whole by reloads, never mutated. */
export interface AdmissionState {
  policies(): PolicySet
  cluster(): ClusterContext
}

export interface AdmissionAppDeps {
  config: Pick<ServeConfig, 'bodyLimit' | 'requestTimeout' | 'keepAliveTimeout' | 'maxConcurrent'>
  logger: Logger
  state: AdmissionState
  metrics: Metrics
  /** absent in tests that use inject() */
  https?: HttpsOptions
}

export function errorBody(err: GuardError): { statusCode: number; code: string; error: string; message: string } {
  return { statusCode: err.statusCode, code: err.code, error: STATUS_CODES[err.statusCode] ?? 'Error', message: err.message }
}

/** The media type as sent, made safe to repeat: printable ASCII, short. */
function mediaType(header: string | undefined): string {
  if (header === undefined || header === '') return '(none)'
  return JSON.stringify(header.replace(/[^\x20-\x7e]/g, '?').slice(0, 60))
}

/** Fastify's own errors, in endpoint-guard's words; anything unexpected is a 500 that reveals nothing. */
function toGuardError(err: FastifyError, request: FastifyRequest, bodyLimit: number): GuardError {
  if (isGuardError(err)) return err
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return guardError('EG_BODY_TOO_LARGE', bodyLimit)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return guardError('EG_CONTENT_TYPE', mediaType(request.headers['content-type']))
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return guardError('EG_BODY_EMPTY')
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return guardError('EG_NOT_ADMISSION_REVIEW', 'the Content-Length does not match the body')
  }
  return guardError('EG_INTERNAL')
}

function describeRequest(outcome: ReviewOutcome): Record<string, unknown> {
  if (outcome.kind !== 'answer') return {}
  const { request } = outcome
  const obj = (request.object ?? request.oldObject) as { metadata?: { name?: string; generateName?: string } } | undefined
  return {
    uid: request.uid,
    kind: request.kind.kind,
    namespace: request.namespace ?? '',
    name: request.name ?? obj?.metadata?.name ?? obj?.metadata?.generateName ?? '',
    operation: request.operation,
    subResource: request.subResource ?? '',
    user: request.userInfo?.username ?? '',
  }
}

function decisionLabel(outcome: ReviewOutcome): 'allowed' | 'denied' | 'errored' | 'rejected' {
  if (outcome.kind === 'rejected') return 'rejected'
  if (outcome.kind === 'errored' || !outcome.decision.ok) return 'errored'
  return outcome.decision.allowed ? 'allowed' : 'denied'
}

/**
 * The HTTPS admission server: POST /validate and POST /mutate. It never listens by itself (main does), so
 * tests drive it with inject() or listen on port 0.
 */
export function buildAdmissionApp(deps: AdmissionAppDeps): FastifyInstance {
  const { config, logger, state, metrics } = deps
  const app = Fastify({
    loggerInstance: logger,
    // One line per admission request is written by the route itself, with the decision in it.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimit,
    requestTimeout: config.requestTimeout,
    keepAliveTimeout: config.keepAliveTimeout,
    // On close(), idle keep-alive sockets are destroyed at once so the API server reconnects to another replica.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    ...(deps.https === undefined ? {} : { https: { minVersion: 'TLSv1.2' as const, ...deps.https } }),
  }) as unknown as FastifyInstance

  // The body is kept as text: decode() parses it, so the server and `endpoint-guard review` read it the same way.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body))

  let inFlight = 0
  const counted = new WeakSet<FastifyRequest>()
  app.addHook('onRequest', async (request, reply) => {
    if (inFlight >= config.maxConcurrent) {
      metrics.overloaded.inc()
      const err = guardError('EG_OVERLOADED', config.maxConcurrent)
      return reply.code(503).header('retry-after', '1').send(errorBody(err))
    }
    inFlight++
    counted.add(request)
    return undefined
  })
  app.addHook('onResponse', async (request) => {
    if (counted.has(request)) inFlight--
  })

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const mapped = toGuardError(err, request, config.bodyLimit)
    if (mapped.statusCode >= 500) request.log.error({ err }, 'unexpected error')
    else request.log.warn({ code: mapped.code, url: request.url }, 'request rejected')
        // routeOptions.url, not request.url: a label must never take arbitrary client text (unbounded series).
    const webhook = request.routeOptions.url === '/mutate' ? 'mutate' : 'validate'
    metrics.requests.inc({ webhook, kind: '', operation: '', decision: 'rejected' })
    return reply.code(mapped.statusCode).send(errorBody(mapped))
  })
  app.setNotFoundHandler((request, reply) => {
    const err = guardError('EG_NOT_FOUND', `${request.method} ${request.url.slice(0, 100)}`)
    return reply.code(404).send(errorBody(err))
  })

  const admit = (webhook: Webhook) => async (request: FastifyRequest, reply: FastifyReply) => {
    const started = process.hrtime.bigint()
    const outcome = handleReview(request.body as string | undefined, state.policies(), state.cluster(), webhook)
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    const decision = decisionLabel(outcome)
    const described = describeRequest(outcome)
    metrics.duration.observe({ webhook }, seconds)
    metrics.requests.inc({ webhook, kind: String(described.kind ?? ''), operation: String(described.operation ?? ''), decision })
    if (outcome.kind === 'rejected') {
      request.log.warn({ webhook, code: outcome.error.code, decision }, 'admission request rejected')
      return reply.code(outcome.error.statusCode).send(errorBody(outcome.error))
    }
    const findings = outcome.kind === 'answer' && outcome.decision.ok ? outcome.decision.findings : []
    for (const f of findings) metrics.violations.inc({ policy: f.policy, action: f.action })
    const line = {
      webhook,
      ...described,
      decision,
      policies: [...new Set(findings.map((f) => f.policy))],
      warnings: outcome.review.response.warnings?.length ?? 0,
      durationMs: Math.round(seconds * 1e6) / 1e3,
    }
    if (decision === 'errored') request.log.error({ ...line, reason: outcome.review.response.status?.message }, 'admission')
    else request.log.info(line, 'admission')
    return reply.code(200).send(outcome.review)
  }
  app.post('/validate', admit('validate'))
  app.post('/mutate', admit('mutate'))
  return app
}
