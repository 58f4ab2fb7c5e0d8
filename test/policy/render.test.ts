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

t.test('a key longer than any shown path is decoded only at its ends, and shows as if decoded whole', async (t) => {
  const at = (path: string) => keywordError('k', { detail: 'bad' }, path)
  const escape = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1')
  // Naive rendering: the whole key decoded, bracketed, then cut to 256 (190 of the start, 63 of the end).
  const naive = (key: string) => {
    const whole = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `spec.selector.${key}` : `spec.selector[${key}]`
    return `${whole.slice(0, 190)}...${whole.slice(whole.length - 63)}`
  }
  for (const [name, key] of [
    ['slashes', `a${'/x'.repeat(5000)}`],
    ['tildes and slashes', `${'~/'.repeat(3000)}end`],
    ['an escape cut at each end', `${'x'.repeat(1055)}~${'/'.repeat(2000)}~${'y'.repeat(1056)}`],
    ['plain', 'k'.repeat(9000)],
  ] as const) {
    const [v] = renderErrors([at(`/spec/selector/${escape(key)}`)])
    t.equal(v?.path, naive(key), name)
    t.notOk(v?.path.includes('\u0000'), `${name}: the left-out middle never shows`)
    t.type(v?.digest, 'string', `${name}: a cut path has a digest`)
  }
  const digests = ['a', 'b'].map((c) => renderErrors([at(`/spec/selector/${escape(`${'/'.repeat(3000)}${c}${'/'.repeat(3000)}`)}`)])[0]?.digest)
  t.not(digests[0], digests[1], 'two keys that differ only in the middle are two violations')
})
