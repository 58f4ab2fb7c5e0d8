import { exceptionNote, locationOf, objectOf, shownAction, type Output, type OutputLabels, type Result, type RunError } from './result.js'

/** XML 1.0's Char production: tab, newline, return, and everything from space up but surrogates, U+FFFE/U+FFFF. */
function isXmlChar(c: number): boolean {
  return c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff)
}

/**
 * Text content, escaped. Characters XML cannot hold at all, even escaped (control characters, lone surrogates),
 * can come from a manifest value that a message quotes: they become U+FFFD, so the report stays well-formed.
 */
function text(s: string): string {
  let safe = ''
  for (const ch of s) safe += isXmlChar(ch.codePointAt(0) ?? 0) ? ch : '\uFFFD'
  return safe.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function attribute(s: string): string {
  return text(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;')
}

function attributes(attrs: Record<string, string | number | undefined>): string {
  return Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${attribute(String(v))}"`)
    .join('')
}

interface Suite {
  name: string
  cases: string[]
  failures: number
  errors: number
}

/** `dir/a.yaml:17: ` for a line of a testcase's body. */
function at(r: Result, line: number | undefined): string {
  if (r.file === undefined) return ''
  return line === undefined ? `${r.file}: ` : `${r.file}:${line}: `
}

/**
 * JUnit XML for CI test reports: a testsuite per input file, a testcase per evaluated document (and per document
 * that could not be read or evaluated, as an `<error>`); each denial is a `<failure>`, warnings and audit
 * findings are the testcase's `<system-out>`. Skipped kinds and empty documents are no testcases. A file's suite
 * is written when the next file starts, so only one file's testcases are ever held. A run error (policies that
 * do not load, no input) is a testcase of its own with an `<error>`.
 */
export function junitOutput(write: (line: string) => void, labels: OutputLabels): Output {
  let suite: Suite | undefined
  const flush = () => {
    if (suite === undefined) return
    write(`  <testsuite${attributes({ name: suite.name, tests: suite.cases.length, failures: suite.failures, errors: suite.errors, skipped: 0 })}>`)
    for (const c of suite.cases) write(c)
    write('  </testsuite>')
    suite = undefined
  }
  const suiteFor = (name: string): Suite => {
    if (suite?.name !== name) {
      flush()
      suite = { name, cases: [], failures: 0, errors: 0 }
    }
    return suite
  }
  write('<?xml version="1.0" encoding="UTF-8"?>')
  write(`<testsuites${attributes({ name: `endpoint-guard ${labels.verb.replace(/ed$/, '')}` })}>`)
  return {
    result(r) {
      if (r.status === 'skipped' || r.status === 'empty') return
      const file = r.file ?? '(cluster)'
      const current = suiteFor(file)
      // The suite names the file: a testcase is the document in it (`#2`, `#1.items[3]`) and the object.
      const doc = locationOf(r).slice(r.file?.length ?? 0)
      const name = r.kind === undefined ? doc || file : `${doc} ${objectOf(r)}`.trim()
      const body: string[] = []
      for (const f of r.findings) {
        if (shownAction(f) !== 'deny') continue
        current.failures++
        body.push(`      <failure${attributes({ message: f.message, type: f.policy })}>${text(`${at(r, f.line ?? r.line)}${f.message}`)}</failure>`)
      }
      if (r.status === 'error') {
        current.errors++
        const message = r.error ?? 'unknown error'
        body.push(`      <error${attributes({ message, type: 'error' })}>${text(`${at(r, r.line)}${message}`)}</error>`)
      }
      const notes = r.findings.filter((f) => shownAction(f) !== 'deny').map((f) => `${at(r, f.line ?? r.line)}${f.action}: ${f.message}${exceptionNote(f)}`)
      if (notes.length > 0) body.push(`      <system-out>${text(notes.join('\n'))}</system-out>`)
      const open = `    <testcase${attributes({ name, classname: file, file: r.file, line: r.line })}`
      current.cases.push(body.length === 0 ? `${open}/>` : [`${open}>`, ...body, '    </testcase>'].join('\n'))
    },
    end(_summary, error?: RunError) {
      flush()
      if (error !== undefined) {
        write(`  <testsuite${attributes({ name: 'endpoint-guard', tests: 1, failures: 0, errors: 1, skipped: 0 })}>`)
        write(`    <testcase${attributes({ name: error.code, classname: 'endpoint-guard', file: error.file })}>`)
        write(`      <error${attributes({ message: error.message, type: error.code })}>${text(error.message)}</error>`)
        write('    </testcase>')
        write('  </testsuite>')
      }
      write('</testsuites>')
    },
  }
}
