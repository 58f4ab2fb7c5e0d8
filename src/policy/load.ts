import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { guardError } from '../errors.js'
import { bundledPaths } from '../paths.js'
import { compilePolicies, PolicyLoadError, type PolicySource } from './compile.js'
import type { PolicySet } from './types.js'

let metaSchemaCache: object | undefined

export async function readMetaSchema(): Promise<object> {
  metaSchemaCache ??= JSON.parse(await readFile(bundledPaths.metaSchema, 'utf8')) as object
  return metaSchemaCache
}

/**
 * Every `*.json` file directly in `dir`, sorted by name. Entries starting with "." are skipped: Kubernetes
 * mounts a ConfigMap as `..data` and `..<timestamp>` entries beside the visible file links.
 */
export async function readPolicySources(dir: string): Promise<PolicySource[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err) {
    throw new PolicyLoadError(dir, '', `cannot read the policies directory: ${(err as Error).message}`)
  }
  const files = names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()
  if (files.length === 0) throw guardError('EG_POLICIES_EMPTY', dir)
  return Promise.all(
    files.map(async (name) => {
      const file = path.join(dir, name)
      try {
        return { file, text: await readFile(file, 'utf8') }
      } catch (err) {
        throw new PolicyLoadError(file, '', `cannot read the file: ${(err as Error).message}`)
      }
    }),
  )
}

export async function loadPolicies(dir: string = bundledPaths.policies): Promise<PolicySet> {
  const [sources, meta] = await Promise.all([readPolicySources(dir), readMetaSchema()])
  return compilePolicies(sources, meta, dir)
}
