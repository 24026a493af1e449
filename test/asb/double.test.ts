// %.17g formatting and C-style double reading (asb-format.md §1.8).
import t from 'tap'
import { doubleTextErrorIndex, formatDouble, formatDoubleInto, NEGATIVE_NAN, parseDouble, signBit } from '../../lib/asb/double.js'

// Every vector of the table in asb-format.md §1.8 (glibc output checked upstream).
const VECTORS: Array<[number, string]> = [
  [0.0, '0'],
  [-0.0, '-0'],
  [1.2345, '1.2344999999999999'],
  [1.234567890123456, '1.234567890123456'],
  [0.1, '0.10000000000000001'],
  [1e-20, '9.9999999999999995e-21'],
  [1e20, '1e+20'],
  [1e-5, '1.0000000000000001e-05'],
  [1e-4, '0.0001'],
  [1e16, '10000000000000000'],
  [1e17, '1e+17'],
  [123456789012345678.0, '1.2345678901234568e+17'],
  [2.2250738585072014e-308, '2.2250738585072014e-308'],
  [1.7976931348623157e308, '1.7976931348623157e+308'],
  [5e-324, '4.9406564584124654e-324'],
  [NaN, 'nan'],
  [NEGATIVE_NAN, '-nan'],
  [Infinity, 'inf'],
  [-Infinity, '-inf'],
  [3.0, '3']
]

t.test('formats every §1.8 vector like glibc %.17g', async t => {
  for (const [x, text] of VECTORS) t.equal(formatDouble(x), text, `${String(x)} -> ${text}`)
})

t.test('formats the golden file doubles', async t => {
  t.equal(formatDouble(1 / 3), '0.33333333333333331')
  t.equal(formatDouble(-123.456), '-123.456')
  t.equal(formatDouble(-1.7976931348623157e308), '-1.7976931348623157e+308')
  t.equal(formatDouble(2.5), '2.5')
  t.equal(formatDouble(2), '2')
})

t.test('switches to exponent form below 1e-4 and from 1e17, with two exponent digits', async t => {
  t.equal(formatDouble(0.00012), '0.00012')
  t.equal(formatDouble(0.000012), '1.2e-05')
  t.equal(formatDouble(99999999999999999), '1e+17') // rounds to 1e17
  t.equal(formatDouble(12345678901234567), '12345678901234568')
  t.equal(formatDouble(1e100), '1.0000000000000000e+100'.replace(/\.?0+e/, 'e'))
  t.equal(formatDouble(1.5e-300), '1.5000000000000001e-300')
  t.equal(formatDouble(-2e-7), '-1.9999999999999999e-07')
})

t.test('rounds exact ties at the 17th digit half to even, unlike toPrecision', async t => {
  // 1000000000000000.25 is exact in binary; its 18 digits end in 5.
  t.equal((1000000000000000.25).toPrecision(17), '1000000000000000.3', 'JS rounds the tie up')
  t.equal(formatDouble(1000000000000000.25), '1000000000000000.2', 'glibc: to even (2)')
  t.equal(formatDouble(1000000000000000.75), '1000000000000000.8', 'glibc: to even (8)')
  t.equal(formatDouble(-1000000000000000.25), '-1000000000000000.2')
  t.equal(formatDouble(1000000000000001.25), '1000000000000001.2')
  t.equal(formatDouble(1000000000000001.75), '1000000000000001.8')
  // 0.5 + 2^-? values with short expansions are not ties
  t.equal(formatDouble(0.375), '0.375')
  t.equal(formatDouble(1125899906842624.5), '1125899906842624.5')
})

t.test('NaN keeps its sign bit through formatting', async t => {
  t.equal(signBit(NEGATIVE_NAN), true)
  t.equal(signBit(NaN), false)
  t.equal(formatDouble(parseDouble('-nan')!), '-nan')
  t.equal(formatDouble(parseDouble('nan')!), 'nan')
})

t.test('parses what the C reader accepts', async t => {
  const ok: Array<[string, number]> = [
    ['0', 0], ['-0', -0], ['1.5', 1.5], ['1.', 1], ['.5', 0.5], ['-.5', -0.5], ['1e5', 1e5], ['1e+5', 1e5],
    ['1e-5', 1e-5], ['+2', 2], ['', 0], ['inf', Infinity], ['-INF', -Infinity], ['Infinity', Infinity],
    ['1e999', Infinity], ['1e-999', 0], ['0.10000000000000001', 0.1], ['9.9999999999999995e-21', 1e-20]
  ]
  for (const [text, v] of ok) t.ok(Object.is(parseDouble(text), v), `${JSON.stringify(text)} -> ${v}`)
  t.ok(Number.isNaN(parseDouble('NaN')))
  for (const text of ['1E5', '1e', '1e+', '-', '+', '.', 'e5', 'in', 'infin', 'nan(1)', '0x10', '1.2.3', '1e5e', ' 1', '1 ']) {
    t.equal(parseDouble(text), undefined, `${JSON.stringify(text)} rejected`)
  }
})

t.test('reports the first character the C check refuses', async t => {
  t.equal(doubleTextErrorIndex('1.5x'), 3)
  t.equal(doubleTextErrorIndex('1E5'), 1)
  t.equal(doubleTextErrorIndex('1.2.3'), 3)
  t.equal(doubleTextErrorIndex('infinityx'), 8)
  t.equal(doubleTextErrorIndex('1e'), -1, 'a valid prefix: strtod fails later')
})

t.test('round-trips random doubles through format and parse', async t => {
  const f = new Float64Array(1)
  const u = new Uint32Array(f.buffer)
  let seed = 12345
  const rnd = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed }
  let bad = 0
  for (let i = 0; i < 20000; i++) {
    u[0] = rnd(); u[1] = rnd()
    const x = f[0]!
    if (Number.isNaN(x)) continue
    const back = parseDouble(formatDouble(x))
    if (!Object.is(back, x)) bad++
  }
  t.equal(bad, 0)
})

t.test('matches glibc %.17g on 8769 vectors from test/asb/fixtures/gen-g17.c', async t => {
  const { readFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  const { ROOT } = await import('../helpers.js')
  const lines = readFileSync(join(ROOT, 'test', 'asb', 'fixtures', 'g17-vectors.txt'), 'latin1').trim().split('\n')
  const view = new DataView(new ArrayBuffer(8))
  const bad: string[] = []
  let ties = 0
  for (const line of lines) {
    const [hex, text] = line.split(' ') as [string, string]
    view.setBigUint64(0, BigInt('0x' + hex))
    const x = view.getFloat64(0)
    const mine = formatDouble(x)
    if (mine !== text) bad.push(`${hex}: ${mine} != ${text}`)
    const into = Buffer.alloc(40)
    const end = formatDoubleInto(x, into, 3)
    if (into.toString('latin1', 3, end) !== text) bad.push(`${hex}: formatDoubleInto ${into.toString('latin1', 3, end)} != ${text}`)
    if (Number.isFinite(x) && x !== 0) {
      // digits JS alone would give (ties rounded up) vs glibc's digits
      const e = Math.abs(x).toExponential(16)
      const js = (e[0]! + e.slice(2, 18)).replace(/0+$/, '')
      const c = text.replace('-', '').replace('.', '').replace(/e.*/, '').replace(/^0+/, '').replace(/0+$/, '')
      if (js !== c) ties++
    }
    if (!Object.is(parseDouble(text), x)) bad.push(`${hex}: parse(${text}) != x`)
  }
  t.equal(lines.length, 8769)
  t.same(bad.slice(0, 10), [], 'no mismatches')
  t.ok(ties >= 100, `the vectors exercise exact ties (${ties})`)
})

t.test('formatDoubleInto writes exactly what formatDouble returns (vectors and 200k random bit patterns)', async t => {
  const buf = Buffer.alloc(48)
  const f = new Float64Array(1)
  const u = new Uint32Array(f.buffer)
  let seed = 20261121
  const rnd = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed }
  const values: number[] = VECTORS.map(([x]) => x)
  for (let i = 0; i < 200000; i++) {
    u[0] = rnd(); u[1] = rnd()
    values.push(f[0]!)
    values.push((i - 100000) / 7, i / 1024, 1e-5 * i)
  }
  let bad = 0
  for (const x of values) {
    const end = formatDoubleInto(x, buf, 5)
    if (buf.toString('latin1', 5, end) !== formatDouble(x)) bad++
  }
  t.equal(bad, 0, `${values.length} values`)
})

/** %.17g of a dyadic double (at most 25 fraction bits) from its exact decimal expansion, half to even: an oracle independent of toExponential. */
function exactG17 (x: number): string {
  const neg = x < 0
  const n = BigInt(Math.abs(x) * 2 ** 25) * 5n ** 25n // |x| * 10^25, exact
  const all = n.toString().padStart(26, '0')
  const first = all.search(/[1-9]/)
  let exp = all.length - 25 - 1 - first // decimal exponent of the first significant digit
  let sig = all.slice(first).replace(/0+$/, '')
  if (sig.length > 17) {
    const keep = BigInt(sig.slice(0, 17))
    const rest = sig.slice(17)
    const half = '5' + '0'.repeat(rest.length - 1)
    const up = rest > half || (rest === half && (keep & 1n) === 1n)
    sig = (up ? keep + 1n : keep).toString()
    if (sig.length > 17) { exp++; sig = sig.slice(0, 17) }
    sig = sig.replace(/0+$/, '')
  }
  let out: string
  if (exp < -4 || exp >= 17) {
    const ae = Math.abs(exp)
    out = (sig.length > 1 ? sig[0] + '.' + sig.slice(1) : sig) + (exp < 0 ? 'e-' : 'e+') + (ae < 10 ? '0' : '') + ae
  } else if (exp < 0) {
    out = '0.' + '0'.repeat(-exp - 1) + sig
  } else {
    out = sig.length <= exp + 1 ? sig + '0'.repeat(exp + 1 - sig.length) : sig.slice(0, exp + 1) + '.' + sig.slice(exp + 1)
  }
  return (neg ? '-' : '') + out
}

t.test('dyadic doubles (0.25, 19.5, exact 17-digit ties) match an exact half-to-even oracle', async t => {
  let seed = 12345
  const rnd = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
  const buf = new Uint8Array(40)
  let ties = 0
  let n = 0
  for (let i = 0; i < 40000; i++) {
    const j = 1 + Math.floor(rnd() * 25)
    let m: number
    if (i % 2 === 0) {
      // m * 5^j has 18 digits: every such value is an exact tie at the 17th digit
      const lo = Math.ceil(1e17 / 5 ** j)
      const hi = Math.min(Math.floor(1e18 / 5 ** j), 2 ** 53 - 1)
      if (lo >= hi) continue
      m = lo + Math.floor(rnd() * (hi - lo))
      if (m % 2 === 0) m++
      ties++
    } else {
      m = Math.floor(rnd() * 2 ** 40) * 2 + 1
    }
    const x = (i % 4 < 2 ? 1 : -1) * m / 2 ** j
    if (Number.isInteger(x)) continue
    const want = exactG17(x)
    const got = formatDouble(x)
    if (got !== want) { t.equal(got, want, `formatDouble(${x})`); return }
    const o = formatDoubleInto(x, buf, 0)
    const into = Buffer.from(buf.subarray(0, o)).toString('latin1')
    if (into !== want) { t.equal(into, want, `formatDoubleInto(${x})`); return }
    n++
  }
  t.ok(ties > 10000, `${ties} exact ties among ${n} values`)
  t.equal(formatDouble(500000.25), '500000.25')
  t.equal(formatDouble(0.5), '0.5')
})
