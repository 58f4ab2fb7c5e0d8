// Renders charts/endpoint-guard with the shared helm-template tool (no helm binary on CI machines).
// The tool is built on first use; a failed build throws, so the chart tests fail rather than skip.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import type { Test } from 'tap'
import { parseAllDocuments } from 'yaml'
import { repoRoot } from '../../support/fixtures.js'


export const chartDir = path.join(repoRoot, 'charts/endpoint-guard')
// CI clones the repository with shared/ beside it.
export const sharedDir = path.resolve(repoRoot, '../shared')

export type Manifest = {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
  [key: string]: unknown
}

let binary: string | undefined
let buildError: Error | undefined

/** Path of the helm-template binary, built once per process (a failed build is not retried). */
export function helmTemplate(): string {
  if (binary !== undefined) return binary
  if (buildError !== undefined) throw buildError
  try {
    binary = buildHelmTemplate()
    return binary
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr
    buildError = new Error(`helm-template build failed: ${typeof stderr === 'string' && stderr ? stderr : String(error)}`)
    throw buildError
  }
}

function buildHelmTemplate(): string {
  const build = path.join(sharedDir, 'tools/helm-template/build.sh')
  if (!existsSync(build)) throw new Error(`helm-template not found at ${build} (shared/ must sit beside the repository)`)
  // tap runs test files in parallel: flock keeps two first builds from writing the same binary at once.
  const lock = path.join(process.env['TMPDIR'] ?? '/tmp', 'helm-template-build.lock')
  const hasFlock = commandExists('flock')
  const out = execFileSync(hasFlock ? 'flock' : 'bash', hasFlock ? [lock, 'bash', build] : [build], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  }).trim()
  const last = out.split('\n').pop() ?? ''
  if (!last || !existsSync(last)) throw new Error(`helm-template build printed no binary path: ${out}`)
  return last
}

function commandExists(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

export type RenderOptions = {
  valuesFiles?: string[]
  set?: Record<string, string | number | boolean>
  kubeVersion?: string
  name?: string
  namespace?: string
}

export const defaultRelease = { name: 'endpoint-guard', namespace: 'endpoint-guard' } as const

/** Renders the chart and returns its manifests; throws with the tool's stderr on a render error. */
export function render(options: RenderOptions = {}): Manifest[] {
  return parseManifests(renderText(options))
}

export function renderText(options: RenderOptions = {}): string {
  const args = ['--name', options.name ?? defaultRelease.name, '--namespace', options.namespace ?? defaultRelease.namespace]
  if (options.kubeVersion !== undefined) args.push('--kube-version', options.kubeVersion)
  for (const file of options.valuesFiles ?? []) args.push('-f', file)
  for (const [key, value] of Object.entries(options.set ?? {})) args.push('--set', `${key}=${String(value)}`)
  args.push(chartDir)
  const bin = helmTemplate()
  try {
    return execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr
    throw new Error(`helm-template ${args.join(' ')} failed: ${typeof stderr === 'string' ? stderr : String(error)}`)
  }
}

/** Manifests grouped by the template file that produced them (from the "# Source:" comments). */
export function renderBySource(options: RenderOptions = {}): Map<string, Manifest[]> {
  const bySource = new Map<string, Manifest[]>()
  for (const chunk of renderText(options).split(/^---\n# Source: /m).slice(1)) {
    const newline = chunk.indexOf('\n')
    bySource.set(chunk.slice(0, newline).replace(/^endpoint-guard\/templates\//, ''), parseManifests(chunk.slice(newline + 1)))
  }
  return bySource
}

export function parseManifests(text: string): Manifest[] {
  const manifests: Manifest[] = []
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors.map((e) => e.message).join('; ')}`)
    const value: unknown = doc.toJS()
    if (value === null || value === undefined) continue
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`rendered document is not an object: ${JSON.stringify(value)}`)
    const m = value as Partial<Manifest>
    if (typeof m.kind !== 'string' || typeof m.apiVersion !== 'string' || typeof m.metadata?.name !== 'string') {
      throw new Error(`rendered document lacks apiVersion/kind/metadata.name: ${JSON.stringify(value)}`)
    }
    manifests.push(m as Manifest)
  }
  return manifests
}

/** The only manifest of a kind (optionally with a name); throws when there is none or more than one. */
export function one(manifests: Manifest[], kind: string, name?: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name))
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` named ${name}` : ''}, found ${found.length}`)
  return found[0] as Manifest
}

export function all(manifests: Manifest[], kind: string): Manifest[] {
  return manifests.filter((m) => m.kind === kind)
}

/** Reads a nested field by path, for assertions on untyped manifests. */
export function get(value: unknown, ...keys: (string | number)[]): unknown {
  let current = value
  for (const key of keys) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string | number, unknown>)[key]
  }
  return current
}

/** The chart's CI scenarios: charts/endpoint-guard/ci/*-values.yaml. */
export function scenarioFiles(): string[] {
  const dir = path.join(chartDir, 'ci')
  return readdirSync(dir)
    .filter((f) => f.endsWith('-values.yaml'))
    .sort()
    .map((f) => path.join(dir, f))
}

/** The type of the `t` a tap subtest callback receives (tap's plugin-built Test type). */
export type TapTest = Test
