import type { Output, Result, RunError } from './result.js'

/** Keys in the documented order, whatever order the Result was built in. */
function ordered(r: Result): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of ['file', 'document', 'item', 'line', 'kind', 'namespace', 'name', 'status'] as const) {
    if (r[key] !== undefined) out[key] = r[key]
  }
  out['findings'] = r.findings.map((f) => {
    const finding: Record<string, unknown> = {}
    for (const key of ['policy', 'action', 'path', 'type', 'value', 'detail', 'message', 'line', 'exception'] as const) {
      if (f[key] !== undefined) finding[key] = f[key]
    }
    return finding
  })
  if (r.error !== undefined) out['error'] = r.error
  return out
}

function errorObject(error: RunError): Record<string, unknown> {
  const out: Record<string, unknown> = { code: error.code, message: error.message }
  if (error.file !== undefined) out['file'] = error.file
  if (error.pointer !== undefined) out['pointer'] = error.pointer
  return out
}

/**
 * `{"results": [...], "summary": {...}}`, one result per line as the results come, so a run over many files
 * never holds them all. A run that fails as a whole adds `"error": {code, message, file?, pointer?}`; when
 * nothing could be evaluated (the policies did not load) there is no summary.
 */
export function jsonOutput(write: (line: string) => void): Output {
  // Each result is written when the next one comes (or the end), so the comma goes on its line: one result
  // per line, diff- and grep-friendly, and never more than one result held.
  let pending: string | undefined
  write('{')
  write('  "results": [')
  return {
    result(r) {
      if (pending !== undefined) write(`${pending},`)
      pending = `    ${JSON.stringify(ordered(r))}`
    },
    end(summary, error) {
      if (pending !== undefined) write(pending)
      const tail: string[] = []
      if (summary !== undefined) tail.push(`  "summary": ${JSON.stringify(summary)}`)
      if (error !== undefined) tail.push(`  "error": ${JSON.stringify(errorObject(error))}`)
      write(tail.length === 0 ? '  ]' : '  ],')
      tail.forEach((line, i) => write(i < tail.length - 1 ? `${line},` : line))
      write('}')
    },
  }
}
