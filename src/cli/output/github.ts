import { stdinName } from '../../manifest/inputs.js'
import { exceptionNote, locationOf, objectOf, shownAction, summaryLine, type Output, type OutputLabels, type Result } from './result.js'

// https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts
function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C')
}

type Level = 'error' | 'warning' | 'notice'

/** `::error file=...,line=...,title=...::message`; stdin is no file of the repository, so it gets none. */
function annotation(level: Level, file: string | undefined, line: number | undefined, title: string, message: string): string {
  const props: string[] = []
  const shown = file === stdinName ? undefined : file
  if (shown !== undefined) props.push(`file=${escapeProperty(shown)}`)
  if (shown !== undefined && line !== undefined) props.push(`line=${line}`)
  props.push(`title=${escapeProperty(title)}`)
  return `::${level} ${props.join(',')}::${escapeData(message)}`
}

/**
 * GitHub Actions workflow commands: each finding and error becomes an annotation on the file and line; a run
 * error (policies that do not load, no input) is an `::error` too, on the policy file when there is one; the
 * summary is a plain line.
 */
export function githubOutput(write: (line: string) => void, labels: OutputLabels): Output {
  const levels = { deny: 'error', warn: 'warning', audit: 'notice' } as const
  return {
    result(r: Result) {
      const location = locationOf(r)
      if (r.status === 'error' && r.kind === undefined) {
        write(annotation('error', r.file, r.line, 'endpoint-guard', `${location}: ${r.error ?? 'unknown error'}`))
        return
      }
      const subject = location === '' ? objectOf(r) : `${location} ${objectOf(r)}`
      for (const f of r.findings) write(annotation(levels[shownAction(f)], r.file, f.line ?? r.line, f.policy, `${subject}: ${f.message}${exceptionNote(f)}`))
      if (r.status === 'error') write(annotation('error', r.file, r.line, 'endpoint-guard', `${subject}: ${r.error ?? 'unknown error'}`))
    },
    end(summary, error) {
      if (error !== undefined) write(annotation('error', error.file, undefined, 'endpoint-guard', error.message))
      if (summary !== undefined) write(summaryLine(summary, labels))
    },
  }
}
