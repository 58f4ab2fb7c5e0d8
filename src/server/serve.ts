import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { ClusterContext } from '../cluster/context.js'
import { emptyContext } from '../cluster/context.js'
import { loadKubeConfig, startLiveContext, type LiveContext } from '../cluster/live-context.js'
import { loadContextFile } from '../cluster/static-context.js'
import type { ServeConfig } from '../config.js'
import { loadPolicies } from '../policy/load.js'
import type { PolicySet } from '../policy/types.js'
import { buildAdmissionApp, type AdmissionState } from './app.js'
import { createMetrics, type Metrics } from './metrics.js'
import { buildProbeApp } from './probes.js'
import { generateCertificate, readPemFile, readTlsFiles, writeCaFile, type TlsMaterial } from './tls.js'

export interface RunningServer {
  admission: FastifyInstance
  probes: FastifyInstance
  metrics: Metrics
  /** the CA file written for a generated certificate */
  caFile: string | undefined
  admissionPort: number
  probePort: number
  /** readiness off, in-flight requests finished, idle connections closed, watches stopped */
  close(): Promise<void>
}

async function tlsMaterial(config: ServeConfig, logger: Logger): Promise<{ tls: TlsMaterial; caFile?: string }> {
  if (config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined) {
    return { tls: await readTlsFiles(config.tlsCertFile, config.tlsKeyFile, config.clientCaFile) }
  }
  const generated = await generateCertificate(config.serviceName, config.serviceNamespace)
  await writeCaFile(config.generatedCaFile, generated.caCert)
  logger.info({ caFile: config.generatedCaFile }, `generated a self-signed certificate; its CA is in ${config.generatedCaFile}`)
  const tls = config.clientCaFile === undefined ? generated : { ...generated, clientCa: await readPemFile(config.clientCaFile) }
  return { tls, caFile: config.generatedCaFile }
}

async function clusterContext(config: ServeConfig, logger: Logger, metrics: Metrics): Promise<{ context: ClusterContext; live?: LiveContext }> {
  if (config.namespaces !== undefined) return { context: await loadContextFile(config.namespaces) }
  const kubeConfig = loadKubeConfig(config.kubeconfig)
  if (kubeConfig === undefined) {
    logger.info('no kubeconfig and not in a cluster: namespace labels and Services are unknown (use --namespaces FILE)')
    return { context: emptyContext }
  }
  const live = startLiveContext({
    kubeConfig,
    logger,
    onStateChange: (state) => {
      metrics.clusterCacheSynced.set({ cache: 'namespaces' }, state.namespaces === 'synced' ? 1 : 0)
      metrics.clusterCacheSynced.set({ cache: 'services' }, state.services === 'synced' ? 1 : 0)
      metrics.clusterOutages.set(state.outages)
    },
  })
  for (const cache of ['namespaces', 'services']) metrics.clusterCacheSynced.set({ cache }, 0)
  return { context: live, live }
}

/**
 * Starts `endpoint-guard serve`: policies first (an invalid set stops start-up), then certificate, cluster
 * context and both listeners. Readiness waits for all of them.
 */
export async function startServer(config: ServeConfig, logger: Logger): Promise<RunningServer> {
  const metrics = createMetrics()
  let policies: PolicySet = await loadPolicies(config.policies)
  metrics.policiesLoaded.set(policies.policies.length)
  logger.info({ policies: policies.policies.map((p) => p.id), dir: config.policies }, `loaded ${policies.policies.length} policies`)

  const { tls, caFile } = await tlsMaterial(config, logger)
  metrics.certificateExpiry.set(Math.floor(tls.notAfter.getTime() / 1000))
  const { context, live } = await clusterContext(config, logger, metrics)

  let shuttingDown = false
  const state: AdmissionState = { policies: () => policies, cluster: () => context }
  const https = {
    key: tls.key,
    cert: tls.cert,
    ...(tls.clientCa === undefined ? {} : { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true }),
  }
  const admission = buildAdmissionApp({ config, logger, state, metrics, https })
  const probes = buildProbeApp({
    logger,
    metrics,
    readiness: () => ({
      policies: policies.policies.length > 0,
      certificate: true,
      cluster: live === undefined || live.synced,
      serving: !shuttingDown,
    }),
  })
  await probes.listen({ port: config.probePort, host: config.host })
  await admission.listen({ port: config.port, host: config.host })
  const admissionPort = (admission.server.address() as AddressInfo).port
  const probePort = (probes.server.address() as AddressInfo).port
  logger.info({ port: admissionPort, probePort }, `serving admission on https://${config.host}:${admissionPort}`)

  return {
    admission,
    probes,
    metrics,
    caFile,
    admissionPort,
    probePort,
    async close() {
      shuttingDown = true
      await admission.close()
      await live?.stop()
      await probes.close()
    },
  }
}
