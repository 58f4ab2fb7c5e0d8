import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import net, { type AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { Test } from 'tap'
import { repoRoot } from './fixtures.js'
import { until } from './wait.js'

/** A port nobody listens on right now: bind port 0, note it, let it go. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}

export interface Served {
  child: ChildProcess
  port: number
  probePort: number
  ca: string
  logs: () => Array<Record<string, unknown>>
  exited: Promise<number | null>
}

/** `node dist/main.js serve` on free ports, its JSON log lines collected; resolves once it is serving. */
export async function serveProcess(t: Test, flags: string[], startTimeoutMs = 30_000): Promise<Served> {
  const [port, probePort] = [await freePort(), await freePort()]
  // A fresh directory each time (t.testdir() is one per test): servers started side by side each write their CA.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'eg-shutdown-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const env = { ...process.env }
  // No cluster: neither a kubeconfig from the environment nor in-cluster configuration.
  for (const name of ['KUBECONFIG', 'KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT', 'NODE_OPTIONS']) delete env[name]
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot, 'dist/main.js'),
      'serve',
      `--port=${port}`,
      `--probe-port=${probePort}`,
      '--host=127.0.0.1',
      `--generated-ca-file=${path.join(dir, 'ca.pem')}`,
      ...flags,
    ],
    { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let out = ''
  let err = ''
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s))
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (err += s))
  // 'close', not 'exit': the last log lines may still be in the pipe when the process is gone.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const logs = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
  await until(
    'the server to start',
    () => {
      if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}: ${err}${out}`)
      return logs().find((l) => typeof l.msg === 'string' && l.msg.startsWith('serving admission on https://'))
    },
    startTimeoutMs,
  )
  return { child, port, probePort, ca: readFileSync(path.join(dir, 'ca.pem'), 'utf8'), logs, exited }
}

