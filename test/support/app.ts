import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Writable } from 'node:stream'
import pino, { type Logger } from 'pino'
import { emptyContext, type ClusterContext } from '../../src/policy/context.js'
import type { PolicySet } from '../../src/policy/types.js'
import { buildAdmissionApp } from '../../src/server/app.js'
import { createMetrics, type Metrics } from '../../src/server/metrics.js'

/** A logger whose JSON lines the test can read back as objects. */
export function capturingLogger(level = 'info'): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString())
      cb()
    },
  })
  const logger = pino({ level }, stream)
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
  return { logger, lines }
}

export const testLimits = { bodyLimit: 64 * 1024, bodyTimeout: 5_000, requestTimeout: 5_000, headersTimeout: 5_000, keepAliveTimeout: 5_000, maxConcurrent: 64 }

export function testApp(policies: PolicySet, options: { cluster?: ClusterContext; metrics?: Metrics; logger?: Logger; logAllowed?: boolean } = {}) {
  const metrics = options.metrics ?? createMetrics()
  const logger = options.logger ?? pino({ level: 'silent' })
  const cluster = options.cluster ?? emptyContext
  return buildAdmissionApp({ config: { ...testLimits, logAllowed: options.logAllowed ?? false }, logger, metrics, state: { policies: () => policies, cluster: () => cluster } })
}


/** GET /metrics from the probe port. */
export async function scrape(probePort: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${probePort}/metrics`)
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`)
  return res.text()
}

/**
 * The value of one sample in Prometheus text: `name` with exactly these labels (in any order); 0 when the series
 * is not there yet (a counter that never moved has no labelled series).
 */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',')
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (m === null || m[1] !== name) continue
    const got = (m[2] ?? '')
      .split(/,(?=[a-zA-Z_]+=")/)
      .filter((s) => s !== '')
      .sort()
      .join(',')
    if (got === wanted) return Number(m[3])
  }
  return 0
}

/**
 * A directory laid out and updated the way kubelet writes a ConfigMap or Secret volume (its AtomicWriter):
 * `..<timestamp>/` holds the files, `..data -> ..<timestamp>`, and every key is a symlink `name -> ..data/name`.
 * An update writes a new timestamped directory, points a new `..data_tmp` symlink at it, renames that over
 * `..data` (the atomic step), adds/removes the key links, then deletes the old directory.
 */
export function kubeletVolume(root: string): { write(files: Record<string, string>): Promise<void> } {
  let generation = 0
  let current: string | undefined
  let keys: string[] = []
  return {
    async write(files) {
      generation++
      const stamp = `..2026_11_21_00_00_${String(generation).padStart(2, '0')}.${String(100 + generation)}`
      await mkdir(path.join(root, stamp))
      for (const [name, text] of Object.entries(files)) await writeFile(path.join(root, stamp, name), text)
      await symlink(stamp, path.join(root, '..data_tmp'))
      await rename(path.join(root, '..data_tmp'), path.join(root, '..data'))
      const names = Object.keys(files)
      for (const name of names) {
        if (!keys.includes(name)) await symlink(path.join('..data', name), path.join(root, name))
      }
      for (const name of keys) {
        if (!names.includes(name)) await rm(path.join(root, name))
      }
      keys = names
      if (current !== undefined) await rm(path.join(root, current), { recursive: true })
      current = stamp
    },
  }
}
