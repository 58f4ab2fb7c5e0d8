/**
 * The inputs of the offline commands: files and directories walked in name order, and stdin. Parsing them into
 * documents is manifest/documents.ts, which does no I/O.
 */
import type { Dirent } from 'node:fs'
import { readdir, readFile, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { describeFileError, guardError } from '../errors.js'

/** The name stdin goes by: as an argument (`-`) and in output. */
export const stdinArgument = '-'
export const stdinName = 'stdin'

const manifestExtensions = new Set(['.yaml', '.yml', '.json'])

/** One input to read: a file found on disk or named on the command line, stdin, or a path that cannot be read. */
export type ManifestInput = { file: string; stdin?: true } | { file: string; error: string }

/**
 * The inputs named by `paths`, in order: files as given (whatever their extension), directories walked
 * recursively in name order keeping only .yaml, .yml and .json files, `-` as stdin. Entries starting with "."
 * (`.git`, editor files) are skipped inside directories. A path that does not exist is an input with an error,
 * so the caller reports it and goes on with the rest.
 */
export async function* manifestInputs(paths: readonly string[]): AsyncGenerator<ManifestInput> {
  const visited = new Set<string>()
  for (const p of paths) {
    if (p === stdinArgument) {
      yield { file: stdinName, stdin: true }
      continue
    }
    let info
    try {
      info = await stat(p)
    } catch (err) {
      yield { file: p, error: `cannot read: ${describeFileError(err)}` }
      continue
    }
    if (info.isDirectory()) yield* walk(p, visited)
    else yield { file: p }
  }
}

async function* walk(dir: string, visited: Set<string>): AsyncGenerator<ManifestInput> {
  // A symlink loop would otherwise walk forever.
  const real = await realpath(dir).catch(() => dir)
  if (visited.has(real)) return
  visited.add(real)
  let entries: Dirent[]
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (err) {
    yield { file: dir, error: `cannot read the directory: ${describeFileError(err)}` }
    return
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue
    const full = path.join(dir, entry.name)
    let isDirectory = entry.isDirectory()
    let isFile = entry.isFile()
    if (entry.isSymbolicLink()) {
      const target = await stat(full).catch(() => undefined)
      isDirectory = target?.isDirectory() ?? false
      isFile = target?.isFile() ?? false
    }
    if (isDirectory) yield* walk(full, visited)
    else if (isFile && manifestExtensions.has(path.extname(entry.name).toLowerCase())) yield { file: full }
  }
}

export async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk))
  return Buffer.concat(chunks).toString('utf8')
}

/** The text of a file input; throws with a one-line reason when it cannot be read. */
export async function readManifestFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (err) {
    throw guardError('EG_INPUT_READ', describeFileError(err))
  }
}
