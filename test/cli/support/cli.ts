/**
 * Runs the real `endpoint-guard` binary (dist/main.js, the build output) as a child process, and compares its
 * output with the expected files in test/fixtures/cli/expected. `UPDATE_GOLDEN=1` rewrites them instead;
 * review the diff before committing.
 */
import { execFile, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { golden as goldenFile, repoRoot } from '../../support/fixtures.js'

export const expectedDir = path.join(repoRoot, 'test/fixtures/cli/expected')
const mainJs = path.join(repoRoot, 'dist/main.js')

export interface CliRun {
  stdout: string
  stderr: string
  code: number | null
}

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs)
  }
  return newest
}

/**
 * Builds dist/ when it is missing or older than src/ (after `npm ci` it exists: `prepare` builds it). tap runs
 * test files in parallel, so a lock directory keeps two of them from writing dist/ at once.
 */
export async function ensureBuilt(): Promise<void> {
  const fresh = () => existsSync(mainJs) && statSync(mainJs).mtimeMs >= newestMtime(path.join(repoRoot, 'src'))
  if (fresh()) return
  const lock = path.join(tmpdir(), `endpoint-guard-build-lock-${createHash('sha256').update(repoRoot).digest('hex').slice(0, 12)}`)
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(lock)
      break
    } catch {
      if (waited > 120_000) throw new Error(`${lock} is held for more than two minutes; remove it if no build runs`)
      await sleep(200)
    }
  }
  try {
    if (!fresh()) {
      await promisify(execFile)(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
        cwd: repoRoot,
      }).catch((err: unknown) => {
        // tsc still writes the output when some other file has a type error; only a missing build is fatal.
        if (!existsSync(mainJs)) throw err
      })
    }
  } finally {
    rmdirSync(lock)
  }
}

/** `node dist/main.js ...args` with cwd = the repository root, so paths in the output are relative and stable. */
export function runCli(args: readonly string[], options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    // The output must not depend on the environment the tests run in; options.env still sets what a test needs.
    const env = { ...process.env }
    delete env['KUBECONFIG']
    delete env['NODE_OPTIONS']
    Object.assign(env, options.env)
    const child = spawn(process.execPath, [mainJs, ...args], { cwd: repoRoot, env, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s))
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
    child.on('error', reject)
    child.on('close', (code) => resolve({ stdout, stderr, code }))
    child.stdin.end(options.stdin ?? '')
  })
}

/** The expected output `name` (test/fixtures/cli/expected), through the one golden-file rule. */
export function golden(name: string, actual: string): string {
  return goldenFile(path.join(expectedDir, name), actual)
}

/**
 * As runCli, but the reader goes away after the first chunk of stdout (`endpoint-guard ... | head -1`): the
 * pipe is closed and later writes of the command fail with EPIPE.
 */
export function runCliClosingStdout(args: readonly string[], stdin: string): Promise<CliRun & { received: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env }
    delete env['KUBECONFIG']
    delete env['NODE_OPTIONS']
    const child = spawn(process.execPath, [mainJs, ...args], { cwd: repoRoot, env, stdio: ['pipe', 'pipe', 'pipe'] })
    let received = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').once('data', (s: string) => {
      received = s
      child.stdout.destroy()
    })
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
    child.on('error', reject)
    child.on('close', (code) => resolve({ stdout: '', received, stderr, code }))
    child.stdin.end(stdin)
  })
}
