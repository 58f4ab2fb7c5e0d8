import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { describeError, guardError } from '../errors.js'
import { bundledPaths } from '../paths.js'
import { compilePolicies, PolicyLoadError, type PolicySource } from '../policy/compile.js'
import type { PolicySet } from '../policy/types.js'

/* Reading policy files: the I/O edge of the pure compiler in src/policy/. */

let metaSchemaCache: object | undefined
let exceptionSchemaCache: object | undefined

export async function readMetaSchema(): Promise<object> {
  metaSchemaCache ??= JSON.parse(await readFile(bundledPaths.metaSchema, 'utf8')) as object
  return metaSchemaCache
}

/** schemas/policy-exception.schema.json, which PolicyException files are validated against. */
export async function readExceptionSchema(): Promise<object> {
  exceptionSchemaCache ??= JSON.parse(await readFile(bundledPaths.exceptionSchema, 'utf8')) as object
  return exceptionSchemaCache
}

/**
 * Every `*.json` file directly in `dir`, sorted by name. Entries starting with "." are skipped: Kubernetes
 * mounts a ConfigMap as `..data` and `..<timestamp>` entries beside the visible file links.
 */
async function readDirectory(dir: string, layer: number): Promise<PolicySource[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err) {
    throw new PolicyLoadError(dir, '', `cannot read the policies directory: ${describeError(err)}`)
  }
  const files = names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()
  if (files.length === 0) throw guardError('EG_POLICIES_EMPTY', dir)
  return Promise.all(
    files.map(async (name) => {
      const file = path.join(dir, name)
      try {
        return { file, text: await readFile(file, 'utf8'), layer }
      } catch (err) {
        throw new PolicyLoadError(file, '', `cannot read the file: ${describeError(err)}`)
      }
    }),
  )
}

/** The sources of layered policy directories, each file tagged with its directory's place in the list. */
export async function readPolicySources(dirs: readonly string[]): Promise<PolicySource[]> {
  return (await Promise.all(dirs.map((dir, layer) => readDirectory(dir, layer)))).flat()
}

/** The label of a layered set in logs and errors: its directories, in order. */
export function layersLabel(dirs: readonly string[]): string {
  return dirs.join(', ')
}

export async function loadPolicies(dirs: readonly string[] = [bundledPaths.policies]): Promise<PolicySet> {
  const [sources, meta, exceptionSchema] = await Promise.all([readPolicySources(dirs), readMetaSchema(), readExceptionSchema()])
  return compilePolicies(sources, meta, layersLabel(dirs), exceptionSchema)
}
