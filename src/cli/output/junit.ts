import { locationOf, objectOf, type Output, type OutputLabels, type Result, type RunError } from './result.js'

// Characters XML 1.0 cannot hold at all, even escaped (controls other than tab, newline and return, lone
// surrogates, U+FFFE/U+FFFF): a manifest can carry them in a value that a message quotes.
const notXml = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

function text(s: string): string {
  return s.replace(notXml, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
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
        if (f.action !== 'deny') continue
        current.failures++
        body.push(`      <failure${attributes({ message: f.message, type: f.policy })}>${text(`${at(r, f.line ?? r.line)}${f.message}`)}</failure>`)
      }
      if (r.status === 'error') {
        current.errors++
        const message = r.error ?? 'unknown error'
        body.push(`      <error${attributes({ message, type: 'error' })}>${text(`${at(r, r.line)}${message}`)}</error>`)
      }
      const notes = r.findings.filter((f) => f.action !== 'deny').map((f) => `${at(r, f.line ?? r.line)}${f.action}: ${f.message}`)
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
