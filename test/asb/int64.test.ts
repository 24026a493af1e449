// lib/asb/int64.ts against BigInt: every boundary, every digit count, and
// random values over the whole int64 range, both ways.
import t from 'tap'
import fc from 'fast-check'
import { INT64_MAX, INT64_MIN, int64DigitsInto, int64FromDigits } from '../../lib/asb/int64.js'

function digitsOf (v: bigint): string {
  const buf = Buffer.alloc(32)
  const n = int64DigitsInto(v, buf, 3)
  return buf.toString('latin1', 3, n)
}

function fromText (text: string): bigint | undefined {
  const neg = text.startsWith('-')
  const b = Buffer.from(neg ? text.slice(1) : text, 'latin1')
  return int64FromDigits(b, 0, b.length, neg)
}

const EDGES: bigint[] = [0n, 1n, -1n, 9n, 10n, 999999999n, 1000000000n, 1000000001n, 4294967295n, 4294967296n, 4294967297n,
  9007199254740991n, 9007199254740992n, 9007199254740993n, -9007199254740993n, 2n ** 62n, -(2n ** 62n),
  999999999999999999n, 1000000000000000000n, INT64_MAX, INT64_MAX - 1n, INT64_MIN, INT64_MIN + 1n,
  4294967296n * 1000000000n, 4294967295n * 1000000000n + 999999999n]

t.test('edges: digits and back, exactly as BigInt prints and reads them', async t => {
  for (const v of EDGES) {
    t.equal(digitsOf(v), v.toString(), `print ${v}`)
    t.equal(fromText(v.toString()), v, `read ${v}`)
  }
  for (let k = 1n; k <= 10n ** 18n; k *= 10n) {
    for (const v of [k, k - 1n, k + 1n, -k, -k + 1n, -k - 1n]) {
      t.equal(digitsOf(v), v.toString())
      t.equal(fromText(v.toString()), v)
    }
  }
})

t.test('out of range: undefined when reading, RangeError when printing', async t => {
  t.equal(fromText('9223372036854775808'), undefined)
  t.equal(fromText('-9223372036854775809'), undefined)
  t.equal(fromText('9999999999999999999'), undefined)
  t.equal(fromText('-9999999999999999999'), undefined)
  t.equal(fromText('12345678901234567890'), undefined, '20 digits')
  t.equal(fromText('-9223372036854775808'), INT64_MIN)
  t.throws(() => digitsOf(INT64_MAX + 1n), RangeError)
  t.throws(() => digitsOf(INT64_MIN - 1n), RangeError)
})

t.test('leading zeros read as the value', async t => {
  t.equal(fromText('0000000000000000001'), 1n)
  t.equal(fromText('-0000000000000000000'), 0n)
})

t.test('random int64s both ways', async t => {
  fc.assert(fc.property(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), (v) => {
    const s = digitsOf(v)
    return s === v.toString() && fromText(s) === v
  }), { numRuns: 20000, seed: 20261121 })
  t.pass('20000 values')
})
