// Field paths and duplicates as renderErrors computes them per violation (by character code, keyed by path): the
// notation of each kind of segment, pointer escapes, and which repeats are dropped.
import t from 'tap'
import { keywordError } from '../../src/policy/keywords/keyword-error.js'
import { fieldPath, renderErrors } from '../../src/policy/render.js'

t.test('identifiers after a dot, anything else in brackets', async (t) => {
  t.equal(fieldPath(['spec', 'ports', '1', 'name']), 'spec.ports[1].name')
  t.equal(fieldPath(['a_b', '$x', 'Z9', '_']), 'a_b.$x.Z9._')
  // a leading digit, an empty key, a non-ASCII letter, a dash, a zero-padded index
  t.equal(fieldPath(['m', '9z', '', 'café', 'x-y', '01']), 'm[9z][][café][x-y][01]')
  t.equal(fieldPath(['0', 'a']), '[0].a')
  t.equal(fieldPath([]), '(object)')
})

t.test('pointer escapes are decoded, repeats of one path, type and detail dropped', async (t) => {
  const at = (path: string, detail: string) => keywordError('k', { detail }, path)
  const shown = renderErrors([at('/spec/a~1b~0c/0', 'bad'), at('/spec/a~1b~0c/0', 'bad'), at('/spec/a~1b~0c/0', 'worse'), at('/spec/a~1b~0c/0', 'bad'), at('', 'root')])
  t.same(
    shown.map((v) => [v.path, v.detail]),
    [
      ['spec[a/b~c][0]', 'bad'],
      ['spec[a/b~c][0]', 'worse'],
      ['(object)', 'root'],
    ],
  )
})
