// An exact JSON parser, the slow path of the NDJSON decoder: JSON.parse turns
// integer literals beyond 2^53 into inexact doubles (and Node 20 has no
// reviver source text), so a line holding such a literal is parsed again here.
// Integral literals ("12", but also "3.0" and "1e3") become exact bigints;
// every other number is a double exactly as JSON.parse reads it. Objects are built like
// JSON.parse builds them (own "__proto__" members included).

export class JsonSyntaxError extends Error {
  readonly column: number
  constructor (message: string, column: number) {
    super(message)
    this.name = 'JsonSyntaxError'
    this.column = column
  }
}

export type ExactJson = null | boolean | number | bigint | string | ExactJson[] | { [k: string]: ExactJson }

const NUM_RE = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y

class P {
  i = 0
  constructor (readonly s: string) {}

  fail (what: string): never {
    throw new JsonSyntaxError(`${what} at column ${this.i + 1}`, this.i + 1)
  }

  ws (): void {
    const s = this.s
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i)
      if (c === 32 || c === 9 || c === 10 || c === 13) this.i++
      else break
    }
  }

  value (depth: number): ExactJson {
    if (depth > 10000) this.fail('nesting too deep')
    this.ws()
    const c = this.s.charCodeAt(this.i)
    switch (c) {
      case 123: return this.object(depth)
      case 91: return this.array(depth)
      case 34: return this.string()
      case 116: return this.word('true', true)
      case 102: return this.word('false', false)
      case 110: return this.word('null', null)
    }
    if (c === 45 || (c >= 48 && c <= 57)) return this.number()
    return this.fail(Number.isNaN(c) ? 'unexpected end of JSON' : `unexpected character ${JSON.stringify(this.s[this.i])}`)
  }

  word<T> (w: string, v: T): T {
    if (!this.s.startsWith(w, this.i)) this.fail(`unexpected character ${JSON.stringify(this.s[this.i])}`)
    this.i += w.length
    return v
  }

  number (): number | bigint {
    NUM_RE.lastIndex = this.i
    const m = NUM_RE.exec(this.s)
    if (m === null) return this.fail('invalid number')
    this.i += m[0].length
    if (m[1] === undefined && m[2] === undefined) return BigInt(m[0])
    return exactIntegral(m[0], m[1], m[2]) ?? Number(m[0])
  }

  string (): string {
    // JSON.parse does escapes and validation for us on the exact substring
    const s = this.s
    let j = this.i + 1
    for (;;) {
      const c = s.charCodeAt(j)
      if (Number.isNaN(c)) { this.i = j; this.fail('unterminated string') }
      if (c === 34) break
      if (c === 92) j += 2
      else j++
    }
    const text = s.slice(this.i, j + 1)
    let out: string
    try {
      out = JSON.parse(text) as string
    } catch {
      this.fail('invalid string')
    }
    this.i = j + 1
    return out
  }

  array (depth: number): ExactJson[] {
    this.i++
    const a: ExactJson[] = []
    this.ws()
    if (this.s.charCodeAt(this.i) === 93) { this.i++; return a }
    for (;;) {
      a.push(this.value(depth + 1))
      this.ws()
      const c = this.s.charCodeAt(this.i)
      if (c === 44) { this.i++; continue }
      if (c === 93) { this.i++; return a }
      this.fail('expected "," or "]"')
    }
  }

  object (depth: number): { [k: string]: ExactJson } {
    this.i++
    const o: { [k: string]: ExactJson } = {}
    this.ws()
    if (this.s.charCodeAt(this.i) === 125) { this.i++; return o }
    for (;;) {
      this.ws()
      if (this.s.charCodeAt(this.i) !== 34) this.fail('expected a member name')
      const k = this.string()
      this.ws()
      if (this.s.charCodeAt(this.i) !== 58) this.fail('expected ":"')
      this.i++
      const v = this.value(depth + 1)
      Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true })
      this.ws()
      const c = this.s.charCodeAt(this.i)
      if (c === 44) { this.i++; continue }
      if (c === 125) { this.i++; return o }
      this.fail('expected "," or "}"')
    }
  }
}

/**
 * The exact integer value of a literal with a fraction or exponent ("3.0",
 * "1e3", "12.5e1") when it is integral, else null. Exponents beyond 400 are
 * left to Number (the value is no int64 anyway).
 */
function exactIntegral (lit: string, frac: string | undefined, exp: string | undefined): bigint | null {
  const neg = lit.charCodeAt(0) === 45
  const intEnd = lit.search(/[.eE]/)
  let digits = lit.slice(neg ? 1 : 0, intEnd)
  let e = exp === undefined ? 0 : Number(exp.slice(1))
  if (frac !== undefined) {
    digits += frac.slice(1)
    e -= frac.length - 1
  }
  if (e > 400 || e < -400) return null
  let v: bigint
  if (e >= 0) v = BigInt(digits) * 10n ** BigInt(e)
  else {
    const cut = digits.length + e
    if (!/^0*$/.test(digits.slice(Math.max(0, cut)))) return null
    v = cut <= 0 ? 0n : BigInt(digits.slice(0, cut))
  }
  return neg ? -v : v
}

/** Parses one JSON text; integral literals come back as bigints. */
export function parseExactJson (text: string): ExactJson {
  const p = new P(text)
  const v = p.value(0)
  p.ws()
  if (p.i !== text.length) p.fail('unexpected data after the JSON value')
  return v
}
