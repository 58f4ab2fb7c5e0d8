import type { AddressInfo } from 'node:net'
import { Server as TlsServer } from 'node:tls'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { contextCaches } from '../cluster/caches.js'
import { loadContextFile } from '../cluster/context-file.js'
import { hasServiceAccount } from '../cluster/in-cluster.js'
import type { LiveContext } from '../cluster/live-context.js'
import type { ServeConfig } from '../config.js'
import { guardError } from '../errors.js'
import { emptyContext, type ClusterContext } from '../policy/context.js'
import { buildAdmissionApp, type AdmissionState } from './app.js'
import { createMetrics, setEnforcement, type Metrics } from './metrics.js'
import { buildProbeApp } from './probes.js'
import { certificateStore, type CertificateStore } from './reload/certificate.js'
import { exceptionsSummary, openPolicyStore, type PolicyStore } from './reload/policies.js'
import { watchFiles, type FileWatch } from './reload/watch-files.js'
import { checkCaBundle, generateCertificate, readPemFile, readTlsFiles, secureContextOptions, writeCaFile, type TlsMaterial } from './tls.js'

export interface RunningServer {
  admission: FastifyInstance
  probes: FastifyInstance
  metrics: Metrics
  /** the policy set in force and its reload (also run by the directory watch) */
  policies: PolicyStore
  /** the serving certificate in use and its reload (also run by the file watch) */
  certificate: CertificateStore
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
  if (config.clientCaFile === undefined) return { tls: generated, caFile: config.generatedCaFile }
  const clientCa = await readPemFile(config.clientCaFile)
  checkCaBundle(clientCa)
  return { tls: { ...generated, clientCa }, caFile: config.generatedCaFile }
}

async function clusterContext(config: ServeConfig, logger: Logger, metrics: Metrics): Promise<{ context: ClusterContext; live?: LiveContext }> {
  if (config.context !== undefined) return { context: await loadContextFile(config.context) }
  if (config.kubeconfig === undefined && !hasServiceAccount()) {
    logger.info('no kubeconfig and not in a cluster: the cluster context (Namespaces, Services, Nodes, slices) is unknown (use --context FILE)')
    return { context: emptyContext }
  }
  // Imported only now: @kubernetes/client-node costs about 1 s of start-up and 70 MB of memory.
  const { loadKubeConfig, startLiveContext } = await import('../cluster/live-context.js')
  const kubeConfig = loadKubeConfig(config)
  if (kubeConfig === undefined) return { context: emptyContext }
  const live = startLiveContext({
    kubeConfig,
    logger,
    onStateChange: (state) => {
      for (const cache of contextCaches) metrics.clusterCacheSynced.set({ cache }, state[cache] === 'synced' ? 1 : 0)
      metrics.clusterOutages.set(state.outages)
    },
  })
  return { context: live, live }
}

/**
 * Starts `endpoint-guard serve`: policies first (an invalid set stops start-up), then certificate, cluster
 * context and both listeners. Readiness waits for all of them.
 */
export async function startServer(config: ServeConfig, logger: Logger): Promise<RunningServer> {
  const metrics = createMetrics()
  const policies = await openPolicyStore(config.policies, logger, metrics, config.policyAction)
  const loaded = policies.current()
  for (const r of loaded.replaced) {
    const what = r.kind === undefined ? 'policy' : 'exception'
    logger.info({ [what]: r.id, file: r.file, by: r.by }, `${what} ${r.id} of ${r.file} is replaced by ${r.by}`)
  }
  logger.info(
    { policies: loaded.policies.map((p) => p.id), exceptions: exceptionsSummary(loaded, Date.now()), dir: loaded.source },
    `loaded ${loaded.policies.length} policies and ${loaded.exceptions.length} exceptions`,
  )
  setEnforcement(metrics, config.enforcement)
  const overridden = Object.entries(config.policyAction).map(([id, action]) => `${id}=${action}`)
  if (config.enforcement === 'warn') {
    logger.warn({ enforcement: 'warn', policyActions: config.policyAction }, 'enforcement is warn (monitor mode): deny findings are answered as allowed, with warnings saying they would have been denied')
  } else {
    logger.info({ enforcement: 'deny', policyActions: config.policyAction }, `enforcement is deny${overridden.length === 0 ? '' : `; policy actions replaced: ${overridden.join(', ')}`}`)
  }

  const { tls, caFile } = await tlsMaterial(config, logger)
  const { context, live } = await clusterContext(config, logger, metrics)

  let shuttingDown = false
  const state: AdmissionState = { policies: () => policies.current(), cluster: () => context }
  const https = {
    ...secureContextOptions(tls),
    ...(tls.clientCa === undefined ? {} : { requestCert: true, rejectUnauthorized: true }),
  }
  const admission = buildAdmissionApp({ config, logger, state, metrics, https })
  if (!(admission.server instanceof TlsServer)) throw guardError('EG_TLS', 'the admission server is not a TLS server.')
  const certificate = certificateStore({
    server: admission.server,
    initial: tls,
    files: {
      ...(config.tlsCertFile === undefined ? {} : { certFile: config.tlsCertFile }),
      ...(config.tlsKeyFile === undefined ? {} : { keyFile: config.tlsKeyFile }),
      ...(config.clientCaFile === undefined ? {} : { clientCaFile: config.clientCaFile }),
    },
    logger,
    metrics,
  })
  const probes = buildProbeApp({
    logger,
    metrics,
    readiness: () => ({
      policies: policies.current().policies.length > 0,
      certificate: true,
      cluster: live === undefined || live.synced,
      serving: !shuttingDown,
    }),
  })
  const watches: FileWatch[] = []
  const stopWatching = () => Promise.all(watches.splice(0).map((w) => w.close()))
  try {
    await probes.listen({ port: config.probePort, host: config.host })
    await admission.listen({ port: config.port, host: config.host })
    watches.push(watchFiles({ paths: config.policies, onChange: () => policies.reload(), logger }))
    if (certificate.files.length > 0) watches.push(watchFiles({ paths: certificate.files, onChange: () => certificate.reload(), logger }))
  } catch (err) {
    await stopWatching()
    await Promise.allSettled([admission.close(), probes.close(), live?.stop()])
    throw err
  }
  const admissionPort = (admission.server.address() as AddressInfo).port
  const probePort = (probes.server.address() as AddressInfo).port
  logger.info(
    { port: admissionPort, probePort, watching: watches.flatMap((w) => w.dirs), certificateExpiry: certificate.notAfter().toISOString() },
    `serving admission on https://${config.host}:${admissionPort}`,
  )

  let closing: Promise<void> | undefined
  return {
    admission,
    probes,
    metrics,
    policies,
    certificate,
    caFile,
    admissionPort,
    probePort,
    close() {
      closing ??= (async () => {
        // Readiness fails from here on; the probe port stays up until the admission server has drained.
        shuttingDown = true
        await stopWatching()
        await admission.close()
        await live?.stop()
        await probes.close()
      })()
      return closing
    },
  }
}
