/**
 * `endpoint-guard check [PATH... | -]`: the policies, offline, on manifests. Each Service, EndpointSlice and
 * Endpoints is evaluated as the CREATE request the API server would send, through the same admission chain
 * (mutate, then validate) as `serve`. Two passes, as the cross-resource rules need the whole cluster context
 * before the first document is judged: the first parses every file once, keeps the records (src/cluster/records.ts)
 * of the Namespaces, Services, Nodes and hand-managed EndpointSlices and the documents as JSON bytes outside the
 * heap; the second evaluates each document and prints its result before restoring the next file, parsing YAML
 * again only for the lines of findings.
 */
import { setFlagsFromString } from 'node:v8'
import type { Command } from 'commander'
import { ContextIndex } from '../cluster/context-index.js'
import { addObject } from '../cluster/static-context.js'
import { parseConfig, type ConfigOf } from '../config.js'
import { admit } from '../engine/admit.js'
import { judgingAt, type Judging } from '../engine/judging.js'
import { syntheticRequest } from '../engine/synthesize.js'
import { describeError, guardError } from '../errors.js'
import { checkedKinds, unservedApiVersion } from '../kube/kinds.js'
import { objectName, objectNamespace } from '../kube/object.js'
import { manifestDocuments, mayContainContextKinds, restoreDocuments, storeDocuments, type ManifestDocument } from '../manifest/documents.js'
import { manifestInputs, readManifestFile, readStdin, stdinArgument, stdinName, type ManifestInput } from '../manifest/inputs.js'
import type { ClusterContext } from '../policy/context.js'
import type { PolicySet } from '../policy/types.js'
import type { Io } from './io.js'
import { loadPoliciesFor } from './load-policies.js'
import { rawFlags, withSettings } from './options.js'
import { createOutput } from './output/create.js'
import { count, emptySummary, evaluated, exitCodeOf, type Result, type RunError, type Summary } from './output/result.js'

/** What the first pass collects: the cluster context of the rules. */
const contextKinds: ReadonlySet<string> = new Set(['Namespace', 'Service', 'Node', 'EndpointSlice'])

type CheckConfig = ConfigOf<'check'>

const exitCodesHelp = `
Each Service, EndpointSlice and Endpoints document is evaluated as a CREATE in its namespace (--namespace
for documents without one); mutating policies are applied first, as the API server calls mutating webhooks
before validating ones. Other kinds are skipped. The input is also the cluster context of the rules, as
serve's is the cluster: Namespace documents give namespace labels, Services the Service of a slice and the
ClusterIPs, Nodes their addresses and pod CIDRs, and hand-managed EndpointSlices the slices that claim a
Service.

PolicyException files in the --policies directories exempt the findings they cover: each is shown as
exempted with its exception and reason, and does not fail the document; an expired one no longer exempts.

A Service, EndpointSlice or Endpoints whose apiVersion Kubernetes does not serve (discovery.k8s.io/v1beta1
EndpointSlice, removed in 1.25; no apiVersion at all) is an error that names the version to use.

Output: text prints file:line and one line per finding and per error, then a summary; json prints
{"results": [...], "summary": {...}}; github prints workflow annotations; junit prints JUnit XML (a
testcase per document, a failure per denial) for CI test reports; sarif prints SARIF 2.1.0 for code
scanning (one rule per policy, one result per finding). The README ("Output formats") has each shape.

Exit status:
  0  every document passed (warnings are shown but pass, unless --strict)
  1  a document was denied (or, with --strict, warned)
  2  usage error, the policies do not load, an input could not be read or parsed, an apiVersion that
     Kubernetes does not serve, or no input at all (unless --allow-empty); the other documents are
     still checked`

export function registerCheck(program: Command, io: Io, version: string): void {
  withSettings(
    program
      .command('check')
      .description('evaluate Service, EndpointSlice and Endpoints manifests offline, as CREATE requests')
      .argument('[paths...]', 'files and directories (walked recursively for .yaml, .yml, .json); - reads stdin (the default when stdin is not a terminal)'),
    'check',
  )
    .addHelpText('after', exitCodesHelp)
    .action(async (paths: string[], opts: Record<string, unknown>) => {
      const config = parseConfig('check', rawFlags('check', opts), io.env)
      tightHeap()
      if (paths.length === 0) {
        if ((io.stdin as { isTTY?: boolean }).isTTY === true) {
          io.stderr('endpoint-guard check: give the manifests to check (files, directories, or - for stdin)')
          io.setExitCode(2)
          return
        }
        paths = [stdinArgument]
      }
      io.setExitCode(await runCheck(paths, config, io, process.cwd(), version))
    })
}

/**
 * check allocates fast and keeps little (~50 MB live at 100,000 documents), and V8 then lets the old generation
 * grow to about four times what survived its last collection before collecting again: peak RSS 326 MiB at
 * 100,000 documents. Growing it by 30% at a time instead keeps the peak at ~210 MiB for a few more collections
 * (bench/check-throughput.mjs: time within the noise). Set as the command starts: V8 reads it at every collection.
 */
function tightHeap(): void {
  setFlagsFromString('--heap-growing-percent=30')
}

/** Why a run had nothing to check, in the words of its inputs. */
function noInput(paths: readonly string[], inputs: readonly ManifestInput[]): string {
  if (inputs.length === 0) return `${paths.join(', ')} holds no .yaml, .yml or .json file`
  const names = inputs.map((i) => i.file)
  const listed = names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`
  const stdinOnly = names.length === 1 && names[0] === stdinName
  return stdinOnly ? 'stdin is empty (did the command before the pipe fail?)' : `${listed} ${names.length === 1 ? 'is' : 'are'} empty`
}

/** Runs `check` and returns the exit status; `cwd` is where SARIF paths start. */
export async function runCheck(
  paths: readonly string[],
  config: CheckConfig,
  io: Pick<Io, 'stdout' | 'stderr' | 'stdin'>,
  cwd: string,
  version: string,
): Promise<number> {
  const loaded = await loadPoliciesFor('check', config.policies, io.stderr, cwd)
  const outputFor = (policies: PolicySet | undefined) =>
    createOutput(config.output, io.stdout, { verb: 'checked', noun: 'document', version, policies, cwd })
  if (!loaded.ok) {
    outputFor(undefined).end(undefined, loaded.error)
    return 2
  }
  const policies = loaded.policies
  // stdin can be read once; both passes use this text.
  let stdinText: Promise<string> | undefined
  const textOf = (input: { file: string; stdin?: true }): Promise<string> => {
    if (input.stdin !== true) return readManifestFile(input.file)
    stdinText ??= readStdin(io.stdin)
    return stdinText
  }
  const unique = [...new Set(paths)]
  // One instant for the whole run: every document meets the same exceptions.
  const judging = judgingAt(Date.now())

  const inputs: ManifestInput[] = []
  for await (const input of manifestInputs(unique)) inputs.push(input)

  // Pass 1 parses each file, the one full parse: the records of the context kinds go into the index, and the
  // documents are kept as JSON, in buffers outside the JavaScript heap, for pass 2. A file that JSON cannot keep
  // as it is (storeDocuments) is parsed again in pass 2.
  const context = new ContextIndex()
  const kept: Array<Buffer | undefined> = []
  for await (const read of readAhead(inputs, textOf)) {
    const json = read.text === undefined ? undefined : storeDocuments(read.text, read.file)
    kept.push(json === undefined ? undefined : Buffer.from(json))
    if (read.text === undefined || !mayContainContextKinds(read.text)) continue
    // Objects restored from JSON have strings of their own, where yaml's are slices that keep the whole text alive.
    const docs = json === undefined ? manifestDocuments(read.text, read.file, contextKinds) : restoreDocuments(json, read.text, read.file)
    for (const doc of docs) {
      if (doc.type === 'object') addObject(context, doc.object, config.defaultNamespace)
    }
  }

  // Pass 2: evaluate and print, one document at a time.
  const output = outputFor(policies)
  const summary = emptySummary(true)
  const emit = (result: Result) => {
    count(summary, result)
    output.result(result)
  }
  let file = 0
  for await (const read of readAhead(inputs, textOf)) {
    const json = kept[file]?.toString('utf8')
    kept[file++] = undefined
    summary.files = (summary.files ?? 0) + 1
    if (read.text === undefined) {
      emit({ file: read.file, status: 'error', findings: [], error: read.error })
      continue
    }
    const docs = json === undefined ? manifestDocuments(read.text, read.file) : restoreDocuments(json, read.text, read.file)
    for (const doc of docs) emit(checkDocument(doc, policies, context, config.defaultNamespace, judging))
  }
  const error = config.allowEmpty ? undefined : emptyRun(summary, unique, inputs)
  if (error !== undefined) io.stderr(`endpoint-guard check: ${error.message}`)
  output.end(summary, error)
  return error === undefined ? exitCodeOf(summary, config.strict) : 2
}

/** No document at all (only empty files or stdin, or no file): a broken pipeline upstream, not a pass. */
function emptyRun(summary: Summary, paths: readonly string[], inputs: readonly ManifestInput[]): RunError | undefined {
  if (summary.total !== summary.empty) return undefined
  const error = guardError('EG_NO_INPUT', noInput(paths, inputs))
  return { code: error.code, message: error.message }
}

type Read = { file: string; text: string; error?: undefined } | { file: string; text?: undefined; error: string }

/** How many files are read ahead of the one being evaluated: the disk works while the CPU parses. */
const readAheadFiles = 8

/** The texts of the inputs, in order, a few files read ahead; a file that cannot be read comes with its error. */
async function* readAhead(inputs: readonly ManifestInput[], textOf: (input: { file: string; stdin?: true }) => Promise<string>): AsyncGenerator<Read> {
  const load = (input: ManifestInput): Promise<Read> =>
    'error' in input
      ? Promise.resolve({ file: input.file, error: input.error })
      : textOf(input).then(
          (text) => ({ file: input.file, text }),
          (err: unknown) => ({ file: input.file, error: describeError(err) }),
        )
  const pending: Array<Promise<Read>> = []
  let next = 0
  for (;;) {
    while (pending.length < readAheadFiles && next < inputs.length) pending.push(load(inputs[next++] as ManifestInput))
    const head = pending.shift()
    if (head === undefined) return
    yield await head
  }
}

/** The result of one document: evaluated when it is a guarded kind, else skipped, empty or an error. */
export function checkDocument(doc: ManifestDocument, policies: PolicySet, context: ClusterContext, namespace: string, judging: Judging): Result {
  const where: Result = { file: doc.file, document: doc.document, line: doc.line, status: 'valid', findings: [] }
  if (doc.item !== undefined) where.item = doc.item
  if (doc.type === 'empty') return { ...where, status: 'empty' }
  if (doc.type === 'error') return { ...where, status: 'error', error: doc.message }
  const object = doc.object
  const kind = object['kind']
  if (typeof kind !== 'string' || kind === '') return { ...where, status: 'error', error: 'not a Kubernetes object: it has no kind' }
  const result: Result = { ...where, kind }
  const unserved = unservedApiVersion(kind, object['apiVersion'])
  // Skipped kinds may be cluster-scoped (Namespace, ClusterRole): show a namespace only when they carry one.
  const ownNamespace = objectNamespace(object)
  if (checkedKinds.has(kind)) result.namespace = ownNamespace ?? namespace
  else if (ownNamespace !== undefined) result.namespace = ownNamespace
  const name = objectName(object)
  if (name !== undefined) result.name = name
  if (!checkedKinds.has(kind)) return { ...result, status: 'skipped' }
  // The API server would refuse it, so no verdict on it could be trusted: an error naming the version to use.
  if (unserved !== undefined) return { ...result, status: 'error', error: unserved }

  const admission = admit(syntheticRequest(object, { namespace }), policies, context, judging)
  const outcome = evaluated('validation' in admission ? admission.validation : admission)
  for (const f of outcome.findings) f.line = doc.lineOf(f.path)
  return { ...result, ...outcome }
}
