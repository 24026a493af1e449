import t from 'tap'
import { buildScanConfig, fingerprint, type RawScanArgs } from '../../lib/scan/options.js'
import { buildSelectionExpression } from '../../lib/scan/expression.js'
import { UsageError } from '../../lib/errors.js'

function msg (a: RawScanArgs): string {
  try { buildScanConfig(a) } catch (err) {
    if (err instanceof UsageError) return err.message
    throw err
  }
  return 'ok'
}

const D = Buffer.alloc(20, 1).toString('base64')

t.test('mutually exclusive combinations are refused with asbackup messages', async t => {
  const cases: Array<[string, RawScanArgs, string]> = [
    ['no namespace', {}, 'Please specify a namespace (-n option)'],
    ['multi-set and -f', { namespace: 'n', set: 'a,b', 'filter-exp': 'kwORRg==' }, 'Multi-set backup and filter-exp are mutually exclusive'],
    ['-f and -a', { namespace: 'n', 'filter-exp': 'kwORRg==', 'modified-after': '2020-01-01' }, 'filter-exp is mutually exclusive with modified-after, modified-before and no-ttl-only'],
    ['-f and --no-ttl-only', { namespace: 'n', 'filter-exp': 'kwORRg==', 'no-ttl-only': true }, 'filter-exp is mutually exclusive with modified-after, modified-before and no-ttl-only'],
    ['-X and -D', { namespace: 'n', 'partition-list': '1', 'after-digest': D }, 'after-digest and partition-list arguments are mutually exclusive'],
    ['-l and -X', { namespace: 'n', 'node-list': '127.0.0.1:3000', 'partition-list': '1' }, 'node-list is mutually exclusive with after-digest and partition-list'],
    ['-l and -D', { namespace: 'n', 'node-list': '127.0.0.1:3000', 'after-digest': D }, 'node-list is mutually exclusive with after-digest and partition-list'],
    ['trailing argument', { namespace: 'n', _: ['extra'] }, 'Unexpected trailing argument extra'],
    ['bad format', { namespace: 'n', format: 'csv' }, 'Invalid output format csv (expected ndjson or asb)'],
    ['compact with ndjson', { namespace: 'n', compact: true }, '--compact applies to --format asb only'],
    ['value errors come first', { 'records-per-second': 'x' }, 'Invalid records-per-second value x'],
    ['bad date', { namespace: 'n', 'modified-before': 'soon' }, 'Invalid date and time string soon'],
    ['bad partition list', { namespace: 'n', 'partition-list': '1,1' }, "Range overlap in partition list '1,1'"]
  ]
  for (const [name, a, want] of cases) t.equal(msg(a), want, name)
})

t.test('defaults', async t => {
  const c = buildScanConfig({ namespace: 'test' })
  t.equal(c.host, '127.0.0.1')
  t.equal(c.port, 3000)
  t.equal(c.socketTimeout, 10000)
  t.equal(c.totalTimeout, 0)
  t.equal(c.maxRetries, 5)
  t.equal(c.retryDelay, 0)
  t.equal(c.parallel, null)
  t.equal(c.format, 'ndjson')
  t.equal(c.filterExp, null)
  t.same(c.filters, [])
  t.equal(c.scanSet, null)
})

t.test('one set scans that set; several sets build the set-name filter', async t => {
  const one = buildScanConfig({ namespace: 'n', set: 'a' })
  t.equal(one.scanSet, 'a')
  t.equal(one.filterExp, null)
  const two = buildScanConfig({ namespace: 'n', set: 'a,b' })
  t.equal(two.scanSet, null)
  t.same(two.filterExp, buildSelectionExpression({ sets: ['a', 'b'] }))
  const nice = buildScanConfig({ namespace: 'n', nice: '2' })
  t.equal(nice.bandwidth, 2 * 1024 * 1024)
})

t.test('fingerprint keeps what decides the output', async t => {
  const raw = { namespace: 'n', set: 'a', 'modified-after': '12:00:00', parallel: '4' }
  const f = fingerprint(buildScanConfig(raw), raw)
  t.equal(f['modified-after'], '12:00:00')
  t.same(f.set, ['a'])
  t.notOk('parallel' in f, 'parallelism may change between runs')
})
