// Round trip is the contract (issue 2): NDJSON -> Tokens -> NDJSON is the
// identity on canonical lines for every generated value, and so is
// NDJSON -> .asb -> NDJSON; every token survives tokenToJson/parseNdjsonLine
// unchanged.
import t from 'tap'
import fc from 'fast-check'
import { isDeepStrictEqual } from 'node:util'
import { tokenToJson } from '../../lib/ndjson/encode.js'
import { parseNdjsonLine } from '../../lib/ndjson/decode.js'
import { AsbEncoder } from '../../lib/asb/encode.js'
import { AsbDecoder } from '../../lib/asb/decode.js'
import type { Token } from '../../lib/types.js'
import { ParseError } from '../../lib/errors.js'
import { streamArb, tokenArb } from './arbitraries.js'

const RUNS = Number(process.env.FC_RUNS ?? 400)

t.test('tokens survive canonical NDJSON unchanged', async t => {
  fc.assert(fc.property(tokenArb({ asb: false }), (token) => {
    const line = tokenToJson(token)
    if (line.includes('\n')) throw new Error('a line contains LF')
    const back = parseNdjsonLine(line, 1, 'gen')
    if (!isDeepStrictEqual(back, token)) throw new Error(`token changed through ${line}`)
    const again = tokenToJson(back)
    if (again !== line) throw new Error(`line changed:\n${line}\n${again}`)
  }), { numRuns: RUNS })
  t.pass('property held')
})

t.test('NDJSON -> .asb -> NDJSON is identical for generated streams', async t => {
  fc.assert(fc.property(streamArb({ asb: true }), fc.boolean(), (tokens, compact) => {
    const lines = tokens.map((tok) => tokenToJson(tok))
    const enc = new AsbEncoder({ compact })
    const asb = Buffer.concat(lines.map((l, i) => enc.encode(parseNdjsonLine(l, i + 1))))
    const dec = new AsbDecoder({ file: 'gen.asb' })
    const out: Token[] = []
    dec.write(asb, (tok) => out.push(tok))
    dec.end((tok) => out.push(tok))
    const again = out.map((tok) => tokenToJson(tok))
    if (again.length !== lines.length) throw new Error(`${lines.length} tokens in, ${again.length} out`)
    for (let i = 0; i < lines.length; i++) {
      if (again[i] !== lines[i]) throw new Error(`token ${i} changed:\n${lines[i]}\n${again[i]}`)
    }
  }), { numRuns: Math.ceil(RUNS / 2) })
  t.pass('property held')
})

t.test('relaxed output is plain JSON that reads back or fails with one ParseError', async t => {
  fc.assert(fc.property(tokenArb({ asb: false }), (token) => {
    const line = tokenToJson(token, { relaxed: true })
    if (line.includes('\n')) throw new Error('a line contains LF')
    JSON.parse(line)
    // lossy by design: a map key like "$k" reads as a tag; anything else reads back
    try {
      parseNdjsonLine(line, 1)
    } catch (err) {
      if (!(err instanceof ParseError)) throw err
    }
  }), { numRuns: RUNS })
  t.pass('property held')
})
