// Renders charts/endpoint-guard for the chart tests with the first renderer this machine has:
//   1. the real `helm template`, when a `helm` binary (3.16 or later) is on PATH;
//   2. shared/tools/helm-template (Helm's template engine built from Debian's packages, built on first use), from
//      $ENDPOINT_GUARD_SHARED_DIR or from shared/ beside the repository, as CI lays it out;
//   3. none: each test that renders is skipped, with a reason saying how to run it. In CI ($CI set) it fails instead.
// Every test file asks chartRenderer() once and passes its `skip` to the tests that render.
import { execFileSync } from 'node:child_process'
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import type { Test } from 'tap'
import { parseAllDocuments } from 'yaml'
import { repoRoot } from '../../support/fixtures.js'

export const chartDir = path.join(repoRoot, 'charts/endpoint-guard')
/** Names another shared/ directory, for a checkout that has none beside it (a git worktree, say). */
export const sharedDirEnv = 'ENDPOINT_GUARD_SHARED_DIR'

export type Manifest = {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
  [key: string]: unknown
}

export type RenderOptions = {
  valuesFiles?: string[]
  /** Plain scalars: `--set key=value`. */
  set?: Record<string, string | number | boolean>
  kubeVersion?: string
  name?: string
  namespace?: string
}

export const defaultRelease = { name: 'endpoint-guard', namespace: 'endpoint-guard' } as const
/** helm-template's default; given to helm as well, whose own default follows its Kubernetes libraries. */
export const defaultKubeVersion = '1.31.0'

// --- choosing a renderer ---------------------------------------------------------------------------------------

/** What the machine offers, found by probeRenderers() (or made up by a test of selectRenderer). */
export type RendererProbes = {
  /** An executable `helm` on PATH. */
  helm: string | undefined
  /** The first shared/tools/helm-template/build.sh that exists. */
  helmTemplateBuild: string | undefined
  /** Every build.sh looked for, for the skip reason. */
  looked: string[]
  ci: boolean
}

export type RendererChoice =
  | { via: 'helm'; command: string }
  | { via: 'helm-template'; buildScript: string }
  | { via: 'skip'; reason: string }
  | { via: 'fail'; reason: string }

export function selectRenderer(probes: RendererProbes): RendererChoice {
  if (probes.helm !== undefined) return { via: 'helm', command: probes.helm }
  if (probes.helmTemplateBuild !== undefined) return { via: 'helm-template', buildScript: probes.helmTemplateBuild }
  const missing = `no \`helm\` on PATH and no shared/tools/helm-template (looked for ${probes.looked.join(', ')})`
  const remedy = `install helm 3.16+, put shared/ beside the repository, or set ${sharedDirEnv}=/path/to/shared`
  if (probes.ci) return { via: 'fail', reason: `chart rendering is required in CI ($CI is set) but impossible: ${missing}; ${remedy}` }
  return { via: 'skip', reason: `chart rendering skipped: ${missing}; ${remedy}` }
}

/** Where shared/ may be, in order: $ENDPOINT_GUARD_SHARED_DIR, then shared/ beside the repository. */
export function sharedDirCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs: string[] = []
  const fromEnv = env[sharedDirEnv]
  if (fromEnv) dirs.push(path.resolve(fromEnv))
  dirs.push(path.resolve(repoRoot, '../shared'))
  return [...new Set(dirs)]
}

/** CI=true (or any value but empty, "0" and "false"). */
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env['CI']
  return value !== undefined && !['', '0', 'false'].includes(value.trim().toLowerCase())
}

/** The first executable file called `name` in PATH's directories. */
export function findOnPath(name: string, searchPath: string = process.env['PATH'] ?? ''): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') continue
    const file = path.join(dir, name)
    try {
      accessSync(file, constants.X_OK)
      if (statSync(file).isFile()) return file
    } catch {
      // not here
    }
  }
  return undefined
}

export function probeRenderers(env: NodeJS.ProcessEnv = process.env): RendererProbes {
  const looked = sharedDirCandidates(env).map((dir) => path.join(dir, 'tools/helm-template/build.sh'))
  return { helm: findOnPath('helm', env['PATH'] ?? ''), helmTemplateBuild: looked.find((f) => existsSync(f)), looked, ci: isCI(env) }
}

// --- command lines ---------------------------------------------------------------------------------------------

/**
 * `helm template NAME CHART --namespace NS ...`. Schema validation is skipped, as helm-template does: the tests
 * check the templates' own `fail` guards, and chart-values.test.ts checks values.schema.json (helm 3.16+ has the
 * flag). helm splits --set values at commas and treats `\` as an escape, so both are escaped.
 */
export function helmArgs(options: RenderOptions = {}, chart: string = chartDir): string[] {
  const args = ['template', options.name ?? defaultRelease.name, chart, '--namespace', options.namespace ?? defaultRelease.namespace]
  args.push('--kube-version', options.kubeVersion ?? defaultKubeVersion, '--skip-schema-validation')
  for (const file of options.valuesFiles ?? []) args.push('-f', file)
  for (const [key, value] of Object.entries(options.set ?? {})) args.push('--set', `${key}=${String(value).replace(/[\\,]/g, '\\$&')}`)
  return args
}

/** `helm-template --name NAME --namespace NS ... CHART` (it takes the whole text after `=` as one YAML scalar). */
export function helmTemplateArgs(options: RenderOptions = {}, chart: string = chartDir): string[] {
  const args = ['--name', options.name ?? defaultRelease.name, '--namespace', options.namespace ?? defaultRelease.namespace]
  args.push('--kube-version', options.kubeVersion ?? defaultKubeVersion)
  for (const file of options.valuesFiles ?? []) args.push('-f', file)
  for (const [key, value] of Object.entries(options.set ?? {})) args.push('--set', `${key}=${String(value)}`)
  args.push(chart)
  return args
}

// --- rendering -------------------------------------------------------------------------------------------------

export type ChartRenderer = {
  /** The renderer in use; undefined when there is none. */
  via: 'helm' | 'helm-template' | undefined
  /** For a rendering test's options, `{ skip: chart.skip }`: the reason when there is no renderer (never in CI). */
  skip: string | false
  /** The chart's manifests; throws with the renderer's stderr on a render error. Closures: safe to destructure. */
  render: (options?: RenderOptions) => Manifest[]
  renderText: (options?: RenderOptions) => string
  /** Manifests grouped by the template file that produced them. */
  renderBySource: (options?: RenderOptions) => Map<string, Manifest[]>
}

let selected: ChartRenderer | undefined

/** The renderer for this process, chosen once. */
export function chartRenderer(): ChartRenderer {
  selected ??= rendererFor(selectRenderer(probeRenderers()))
  return selected
}

export function rendererFor(choice: RendererChoice): ChartRenderer {
  let renderText: (options?: RenderOptions) => string
  switch (choice.via) {
    case 'helm':
      renderText = (options = {}) => run('helm', choice.command, helmArgs(options))
      break
    case 'helm-template':
      renderText = (options = {}) => run('helm-template', helmTemplate(choice.buildScript), helmTemplateArgs(options))
      break
    default: {
      // 'fail' (CI) makes every rendering test fail with the reason; 'skip' is reached only by a test that ignores it.
      const reason = choice.reason
      renderText = () => {
        throw new Error(reason)
      }
    }
  }
  return {
    via: choice.via === 'helm' || choice.via === 'helm-template' ? choice.via : undefined,
    skip: choice.via === 'skip' ? choice.reason : false,
    renderText,
    render: (options) => parseManifests(renderText(options)),
    renderBySource: (options) => manifestsBySource(renderText(options)),
  }
}

function run(name: string, command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 })
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr
    const text = typeof stderr === 'string' && stderr ? stderr : String(error)
    const hint = /unknown flag: --skip-schema-validation/.test(text) ? ' (the chart tests need helm 3.16 or later)' : ''
    throw new Error(`${name} ${args.join(' ')} failed${hint}: ${text}`)
  }
}

/**
 * Groups a rendered stream by its "# Source: endpoint-guard/templates/FILE" comments. helm prints one such header
 * per document, sorted by kind (a file's documents need not be adjacent); helm-template one per file.
 */
export function manifestsBySource(text: string): Map<string, Manifest[]> {
  const bySource = new Map<string, Manifest[]>()
  for (const chunk of text.split(/^---\n# Source: /m).slice(1)) {
    const newline = chunk.indexOf('\n')
    const source = (newline < 0 ? chunk : chunk.slice(0, newline)).trim().replace(/^endpoint-guard\/templates\//, '')
    const manifests = newline < 0 ? [] : parseManifests(chunk.slice(newline + 1))
    bySource.set(source, [...(bySource.get(source) ?? []), ...manifests])
  }
  return bySource
}

// --- building helm-template ------------------------------------------------------------------------------------

let binary: string | undefined
let buildError: Error | undefined

/** Path of the helm-template binary, built once per process (a failed build is not retried, and throws). */
function helmTemplate(buildScript: string): string {
  if (binary !== undefined) return binary
  if (buildError !== undefined) throw buildError
  try {
    binary = buildHelmTemplate(buildScript)
    return binary
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr
    buildError = new Error(`helm-template build failed: ${typeof stderr === 'string' && stderr ? stderr : String(error)}`)
    throw buildError
  }
}

function buildHelmTemplate(build: string): string {
  // tap runs test files in parallel: flock keeps two first builds from writing the same binary at once.
  const lock = path.join(process.env['TMPDIR'] ?? '/tmp', 'helm-template-build.lock')
  const flock = findOnPath('flock')
  const out = execFileSync(flock ?? 'bash', flock ? [lock, 'bash', build] : [build], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  }).trim()
  const last = out.split('\n').pop() ?? ''
  if (!last || !existsSync(last)) throw new Error(`helm-template build printed no binary path: ${out}`)
  return last
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
