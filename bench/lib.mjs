// Shared by the bench scripts: the built dist/, free ports, child servers, readiness, RSS, host load.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { repoRoot } from './mix.mjs'

export const distDir = path.join(repoRoot, 'dist')

/** Builds dist/ when it is missing (npx tsc -p tsconfig.build.json), so `npm run bench` works from a clean tree. */
export function ensureBuilt() {
  if (existsSync(path.join(distDir, 'main.js'))) return
  console.error('bench: dist/ is missing, building it (npx tsc -p tsconfig.build.json)...')
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repoRoot, stdio: 'inherit' })
}

export function dist(file) {
  ensureBuilt()
  return pathToFileURL(path.join(distDir, file)).href
}

export function tmpDir() {
  return mkdtempSync(path.join(os.tmpdir(), 'eg-bench-'))
}

/** A port the OS says is free now: bind 0, read it, close. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

export const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' })
    return os.cpus().length >= 2
  } catch {
    return false
  }
})()

/** Pins this process (the load generator) to a core; the servers go on the other one. */
export function pinSelf(core) {
  if (!hasTaskset) return false
  execFileSync('taskset', ['-pc', String(core), String(process.pid)], { stdio: 'ignore' })
  return true
}

function probe(port, pathName) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathName, timeout: 1000 }, (res) => {
      res.resume()
      resolve(res.statusCode)
    })
    req.on('error', () => resolve(0))
    req.on('timeout', () => {
      req.destroy()
      resolve(0)
    })
  })
}

/**
 * Starts a server as a child process (`node <args>`, pinned to `core` when taskset exists), waits until
 * GET /readyz on the probe port answers 200 (nodeArgs, e.g. --cpu-prof, go before the script) and returns { child, port, probePort, readyMs, caFile, stop() }.
 * readyMs is spawn → first 200 from /readyz.
 */
export async function startChild(script, { extraArgs = [], nodeArgs = [], core = 0, timeoutMs = 30_000, env = {} } = {}) {
  const [port, probePort] = [await freePort(), await freePort()]
  const dir = tmpDir()
  const caFile = path.join(dir, 'ca.pem')
  const args = [...nodeArgs, script, ...extraArgs, '--port', String(port), '--probe-port', String(probePort), '--host', '127.0.0.1', '--generated-ca-file', caFile]
  const cmd = hasTaskset ? 'taskset' : process.execPath
  const argv = hasTaskset ? ['-c', String(core), process.execPath, ...args] : args
  const started = performance.now()
  const child = spawn(cmd, argv, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  let output = ''
  const keep = (d) => {
    output = (output + d.toString()).slice(-8000)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  let exited = null
  child.on('exit', (code, signal) => {
    exited = { code, signal }
  })
  for (;;) {
    if (exited !== null) throw new Error(`${path.basename(script)} exited before ready (${JSON.stringify(exited)}):\n${output}`)
    if ((await probe(probePort, '/readyz')) === 200) break
    if (performance.now() - started > timeoutMs) {
      child.kill('SIGKILL')
      throw new Error(`${path.basename(script)} not ready after ${timeoutMs} ms:\n${output}`)
    }
    await sleep(10)
  }
  const readyMs = performance.now() - started
  return {
    child,
    port,
    probePort,
    readyMs,
    caFile,
    output: () => output,
    exited: () => exited,
    async stop() {
      if (exited !== null) return exited
      const done = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      const result = await done
      clearTimeout(timer)
      rmSync(dir, { recursive: true, force: true })
      return result
    },
  }
}

export const mainJs = () => path.join(distDir, 'main.js')
export const bareJs = path.join(repoRoot, 'bench', 'bare-server.mjs')

/** `endpoint-guard serve` with the bundled policies and the namespaces of the golden reviews. */
export function startWebhook(options = {}) {
  ensureBuilt()
  const { contextFile } = options
  return startChild(mainJs(), {
    ...options,
    extraArgs: ['serve', '--log-level', 'info', ...(contextFile ? ['--context', contextFile] : []), ...(options.extraArgs ?? [])],
  })
}

/** The Fastify limit; with { plainNode: true } the node:https one (see bench/bare-server.mjs). */
export function startBare(options = {}) {
  return startChild(bareJs, { ...options, extraArgs: options.plainNode ? ['--plain-node'] : [] })
}

/** Resident set size of a process in MB, from /proc (Linux). */
export function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m === null ? NaN : Number(m[1]) / 1024
  } catch {
    return NaN
  }
}

/** Samples a process's RSS every `everyMs` until stop(); returns { stop(): samples[] } with max and mean. */
export function sampleRss(pid, everyMs = 250) {
  const samples = []
  const timer = setInterval(() => samples.push({ t: performance.now(), mb: rssMb(pid) }), everyMs)
  return {
    stop() {
      clearInterval(timer)
      const mbs = samples.map((s) => s.mb).filter((x) => !Number.isNaN(x))
      return { samples, max: Math.max(...mbs), mean: mbs.reduce((a, b) => a + b, 0) / Math.max(1, mbs.length) }
    },
  }
}

/** CPU time used by the whole host (all processes) over `ms`, in cores: how busy the neighbours are. */
export async function hostBusyCores(ms = 500) {
  const read = () => {
    const [, ...f] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)
    const n = f.map(Number)
    const idle = n[3] + n[4]
    const total = n.reduce((a, b) => a + b, 0)
    return { idle, total }
  }
  const a = read()
  await sleep(ms)
  const b = read()
  const total = b.total - a.total
  return total === 0 ? 0 : ((total - (b.idle - a.idle)) / total) * os.cpus().length
}

/** Waits (bounded) for the host to be quiet: other work on a 2-vCPU VM halves any throughput figure. */
export async function waitForQuietHost({ maxWaitMs = 20_000, busyBelow = 0.3 } = {}) {
  const start = performance.now()
  let busy = await hostBusyCores()
  while (busy > busyBelow && performance.now() - start < maxWaitMs) busy = await hostBusyCores()
  return busy
}
