import t from 'tap'
import { decodeReview } from '../../src/admission/decode.js'

const review = (request: unknown, apiVersion = 'admission.k8s.io/v1') =>
  JSON.stringify({ apiVersion, kind: 'AdmissionReview', request })
const baseRequest = {
  uid: 'u-1',
  kind: { group: '', version: 'v1', kind: 'Service' },
  resource: { group: '', version: 'v1', resource: 'services' },
  operation: 'CREATE',
  userInfo: { username: 'alice' },
  object: { kind: 'Service', metadata: { name: 'a' } },
}

t.test('unreadable bodies are rejected without a uid', async (t) => {
  const cases: Array<[string | undefined, string]> = [
    [undefined, 'EG_BODY_EMPTY'],
    ['   ', 'EG_BODY_EMPTY'],
    ['{', 'EG_BODY_NOT_JSON'],
    ['[]', 'EG_NOT_ADMISSION_REVIEW'],
    ['null', 'EG_NOT_ADMISSION_REVIEW'],
    ['"AdmissionReview"', 'EG_NOT_ADMISSION_REVIEW'],
    [JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'Pod', request: baseRequest }), 'EG_NOT_ADMISSION_REVIEW'],
    [review(baseRequest, 'admission.k8s.io/v2'), 'EG_NOT_ADMISSION_REVIEW'],
    [review(undefined), 'EG_NOT_ADMISSION_REVIEW'],
    [review({ ...baseRequest, uid: '' }), 'EG_NO_UID'],
    [review({ ...baseRequest, uid: 7 }), 'EG_NO_UID'],
    [review({ ...baseRequest, uid: 'x'.repeat(129) }), 'EG_NO_UID'],
  ]
  for (const [body, code] of cases) {
    const d = decodeReview(body)
    t.equal(d.ok, false, `${String(body).slice(0, 40)} is not decoded`)
    if (!d.ok) {
      t.equal(d.error.code, code, `${String(body).slice(0, 40)} → ${code}`)
      t.equal(d.uid, undefined, 'no uid to answer with')
    }
  }
})

t.test('a readable uid with an unusable request keeps the uid for an errored answer', async (t) => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ ...baseRequest, operation: 'PATCH' }, /operation must be one of/],
    [{ ...baseRequest, kind: {} }, /kind.kind is missing/],
    [{ ...baseRequest, object: undefined }, /object must be an object for CREATE/],
    [{ ...baseRequest, object: [1] }, /object must be an object for CREATE/],
    [{ ...baseRequest, operation: 'UPDATE' }, /oldObject must be an object for UPDATE/],
    [{ ...baseRequest, namespace: 3 }, /namespace must be a string/],
    [{ ...baseRequest, resource: undefined }, /resource is missing/],
  ]
  for (const [request, message] of cases) {
    const d = decodeReview(review(request))
    t.equal(d.ok, false)
    if (!d.ok) {
      t.equal(d.uid, 'u-1')
      t.equal(d.apiVersion, 'admission.k8s.io/v1')
      t.equal(d.error.code, 'EG_BAD_REQUEST')
      t.match(d.error.message, message)
    }
  }
})

t.test('the JSON error never repeats the body', async (t) => {
  const d = decodeReview('{"secret-token-abc": ')
  t.equal(d.ok, false)
  if (!d.ok) t.notMatch(d.error.message, /secret-token-abc/)
})

t.test('v1 and v1beta1 reviews decode, DELETE needs no object', async (t) => {
  for (const v of ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1']) {
    const d = decodeReview(review(baseRequest, v))
    t.equal(d.ok, true)
    if (d.ok) t.equal(d.apiVersion, v)
  }
  const del = decodeReview(review({ ...baseRequest, operation: 'DELETE', object: null, oldObject: baseRequest.object }))
  t.equal(del.ok, true)
})
