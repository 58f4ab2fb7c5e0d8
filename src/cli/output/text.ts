import { exceptionNote, isExempted, objectOf, summaryLine, type Output, type OutputLabels, type Result } from './result.js'

/** `dir/a.yaml:17`, clickable in terminals and editors; the file alone when there is no line; empty for live objects. */
function fileLine(r: Result, line: number | undefined): string {
  if (r.file === undefined) return ''
  return line === undefined ? r.file : `${r.file}:${line}`
}

/**
 * One line per finding and per error, at the file and line of the offending field; nothing for valid, skipped
 * and empty documents; then the summary:
 *   dir/a.yaml:30: EndpointSlice prod/web-1: deny: endpointslice-addresses: endpoints[0].addresses[0]: ...
 *   dir/b.yaml:14: error: cannot parse: ... (line 14, column 3)
 *   checked 12 documents in 3 files: 8 valid, 1 invalid, 1 warned, 1 skipped, 0 empty, 1 error
 * A run error (no input, policies that do not load) is on stderr, where the command writes it.
 */
export function textOutput(write: (line: string) => void, labels: OutputLabels): Output {
  return {
    result(r) {
      const prefix = (line: number | undefined) => {
        const at = fileLine(r, line)
        return at === '' ? '' : `${at}: `
      }
      if (r.status === 'error' && r.kind === undefined) {
        write(`${prefix(r.line)}error: ${r.error ?? 'unknown error'}`)
        return
      }
      for (const f of r.findings) write(`${prefix(f.line ?? r.line)}${objectOf(r)}: ${isExempted(f) ? 'exempted' : f.action}: ${f.message}${exceptionNote(f)}`)
      if (r.status === 'error') write(`${prefix(r.line)}${objectOf(r)}: error: ${r.error ?? 'unknown error'}`)
    },
    end(summary) {
      if (summary !== undefined) write(summaryLine(summary, labels))
    },
  }
}
