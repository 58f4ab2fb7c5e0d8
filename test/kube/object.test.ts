import t from 'tap'
import { labelsOf, objectKey, objectName, objectNamespace, withNamespace, withTypeMeta } from '../../src/kube/object.js'

t.test('reading names, namespaces and labels never throws and never sees a non-string', async (t) => {
  for (const malformed of [undefined, null, 3, 'x', [], {}, { metadata: 'x' }, { metadata: { name: 7, namespace: '' } }]) {
    t.equal(objectName(malformed), undefined, `no name in ${JSON.stringify(malformed)}`)
    t.equal(objectNamespace(malformed), undefined)
    t.same(labelsOf(malformed), {})
  }
  const labels = labelsOf({ metadata: { labels: { app: 'web', replicas: 3, flag: true, empty: '' } } })
  t.same(labels, { app: 'web', empty: '' }, 'only string values: a number never matches "3"')
  t.ok(Object.isFrozen(labels))
  t.equal(objectKey('prod', 'payments'), 'prod/payments')
})

t.test('withNamespace fills an absent or empty namespace and never changes its argument', async (t) => {
  const bare = { kind: 'Service', metadata: { name: 's' } }
  const placed = withNamespace(bare, 'shop')
  t.equal(objectNamespace(placed), 'shop')
  t.equal(objectNamespace(bare), undefined, 'the original is untouched')
  const own = { kind: 'Service', metadata: { name: 's', namespace: 'prod' } }
  t.equal(withNamespace(own, 'shop'), own, 'an object with a namespace is returned as it is')
  t.equal(objectNamespace(withNamespace({ metadata: { name: 's', namespace: '' } }, 'shop')), 'shop')
  t.equal(withNamespace(bare, ''), bare, 'no namespace to give')
})

t.test('withTypeMeta completes list items, and leaves watch objects alone', async (t) => {
  t.same(withTypeMeta({ metadata: { name: 'a' } }, 'v1', 'Service'), { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a' } })
  const typed = { apiVersion: 'v1', kind: 'Node', metadata: {} }
  t.equal(withTypeMeta(typed, 'v1', 'Service'), typed)
})
