import type { Command } from 'commander'
import type { Logger } from 'pino'
import { parseConfig, type ServeConfig } from '../config.js'
import { describeError } from '../errors.js'
import { createLogger } from '../log.js'
import type { Io } from './io.js'
import { rawFlags, withSettings } from './options.js'

export function registerServe(program: Command, io: Io): void {
  withSettings(program.command('serve').description('run the admission webhook (HTTPS) with probes and metrics'), 'serve').action(
    async (opts: Record<string, unknown>) => {
      const config = parseConfig('serve', rawFlags('serve', opts), io.env)
      await runServe(config)
    },
  )
}

/** How long the last log lines get to be written before the exit goes ahead without them. */
export const flushAllowanceMs = 1_000

/**
 * Logs go through an asynchronous destination; process.exit() would drop what is still buffered (the last lines
 * are the ones that explain the exit), so exit once the buffer is written, or after the flush allowance whatever
 * stdout does (a reader that stopped reading never lets a flush complete). The timer is not unref'd: it is the
 * guarantee that the process ends.
 */
function exitAfterFlush(logger: Logger, code: number): void {
  setTimeout(() => process.exit(code), flushAllowanceMs)
  try {
    logger.flush(() => process.exit(code))
  } catch {
    process.exit(code)
  }
}

/** `endpoint-guard serve`: start, then on SIGTERM/SIGINT shut down within --shutdown-timeout. */
async function runServe(config: ServeConfig): Promise<void> {
  const logger: Logger = createLogger(config.logLevel)
  // Loaded on use: the server's modules (fastify, client-node) take seconds, which check and test must not pay.
  const { startServer } = await import('../server/serve.js')
  let server
  try {
    server = await startServer(config, logger)
  } catch (err) {
    logger.fatal({ err: describeError(err) }, `cannot start: ${describeError(err)}`)
    exitAfterFlush(logger, 1)
    return
  }
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down: not ready, finishing in-flight requests, closing idle connections')
    // Not unref'd, and not waiting on close(): whatever the clients, the API server or stdout do, the process is
    // gone --shutdown-timeout (plus the flush allowance) after the signal.
    setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeout }, 'shutdown took too long; exiting with requests still open')
      exitAfterFlush(logger, 1)
    }, config.shutdownTimeout)
    server.close().then(
      () => {
        logger.info('shut down')
        exitAfterFlush(logger, 0)
      },
      (err: unknown) => {
        logger.error({ err: describeError(err) }, 'error during shutdown')
        exitAfterFlush(logger, 1)
      },
    )
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
}
