import t from 'tap'
import { buildSelectionExpression, packExpression } from '../../lib/scan/expression.js'

const hex = (b: Buffer | null): string | null => b === null ? null : b.toString('hex')

t.test('no selection gives no expression', async t => {
  t.equal(buildSelectionExpression({}), null)
  t.equal(buildSelectionExpression({ sets: ['only'] }), null, 'a single set is the scan set, not a filter')
  t.equal(buildSelectionExpression({ modifiedAfter: 0n, modifiedBefore: 0n, noTtlOnly: false }), null)
})

t.test('multi-set: OR of set_name() == "<set>" with particle-prefixed strings', async t => {
  t.equal(hex(buildSelectionExpression({ sets: ['a', 'b'] })), '9311' + '93019146a20361' + '93019146a20362')
  const long = 'x'.repeat(40)
  t.equal(hex(buildSelectionExpression({ sets: [long, 'y'] })), '9311' + '93019146' + 'd929' + '03' + Buffer.from(long).toString('hex') + '93019146a20379', 'str8 header over 31 bytes')
})

t.test('modified-before / after on last_update() in ns, uint64 form', async t => {
  const T = 1_700_000_000_000_000_000n
  const tHex = 'cf' + T.toString(16).padStart(16, '0')
  t.equal(hex(buildSelectionExpression({ modifiedBefore: T })), '9305' + '9142' + tHex)
  t.equal(hex(buildSelectionExpression({ modifiedAfter: T })), '9304' + '9142' + tHex)
})

t.test('no-ttl-only: ttl() == -1', async t => {
  t.equal(hex(buildSelectionExpression({ noTtlOnly: true })), '9301' + '9145' + 'ff')
})

t.test('several parts: AND in asbackup order (sets, before, after, no-ttl)', async t => {
  const A = 1n << 40n
  const B = 1n << 41n
  const got = hex(buildSelectionExpression({ sets: ['a', 'b'], modifiedAfter: A, modifiedBefore: B, noTtlOnly: true }))
  const sets = '9311' + '93019146a20361' + '93019146a20362'
  const before = '93059142' + 'cf' + B.toString(16).padStart(16, '0')
  const after = '93049142' + 'cf' + A.toString(16).padStart(16, '0')
  const ttl = '93019145ff'
  t.equal(got, '95' + '10' + sets + before + after + ttl)
  t.equal(hex(buildSelectionExpression({ modifiedAfter: A, noTtlOnly: true })), '9310' + after + ttl)
})

t.test('minimal integer forms', async t => {
  const cases: Array<[bigint, string]> = [
    [0n, '00'], [127n, '7f'], [128n, 'cc80'], [256n, 'cd0100'], [65536n, 'ce00010000'], [1n << 32n, 'cf0000000100000000'],
    [-1n, 'ff'], [-32n, 'e0'], [-33n, 'd0df'], [-129n, 'd1ff7f'], [-32769n, 'd2ffff7fff'], [-(1n << 31n) - 1n, 'd3ffffffff7fffffff']
  ]
  for (const [v, want] of cases) t.equal(hex(packExpression(v)), want, String(v))
})
