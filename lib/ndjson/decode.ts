// Typed NDJSON bytes -> Tokens (man/as-ndjson.5).
//
//   bytes --> NdjsonDecoder (split on LF, JSON.parse, typed values) --> Tokens (objectMode)
//
// Lines are split on LF bytes directly (no string decoder): each line must be
// valid UTF-8 on its own. JSON.parse is the fast path; a line holding an
// integral number beyond 2^53-1 is parsed again with the exact parser
// (lib/ndjson/json.ts), so big integers in relaxed input stay exact.
import type { Transform } from 'node:stream'
import { pushTransform } from '../push-transform.js'
import { isUtf8 } from 'node:buffer'
import { ParseError } from '../errors.js'
import type { Bin, Header, Key, Name, Record, SIndex, Token, Udf, IndexType, IndexPathType } from '../types.js'
import { Particle } from '../types.js'
import {
  NeedExactParse, TypedJsonError, binNameFromKey, fromBase64, isoToVoidTime, jsonToName, jsonToValue
} from './typed.js'
import { JsonSyntaxError, parseExactJson } from './json.js'
import { computeDigest } from '../proto/digest.js'

/** Longest accepted line: a record holds at most 8 MiB of data on the server; base64 and escaping can nearly double it. */
export const NDJSON_MAX_LINE_BYTES = 64 * 1024 * 1024

type Obj = { [k: string]: unknown }

const RECORD_MEMBERS = new Set(['namespace', 'set', 'key', 'digest', 'generation', 'expiration', 'bins', 'binOrder'])
const HEADER_MEMBERS = new Set(['$meta', 'version', 'namespace', 'firstFile'])
const SINDEX_MEMBERS = new Set(['$meta', 'namespace', 'set', 'name', 'indexType', 'paths', 'context', 'expression'])
const UDF_MEMBERS = new Set(['$meta', 'type', 'name', 'content'])

function fail (msg: string): never {
  throw new TypedJsonError(msg)
}

function checkMembers (o: Obj, allowed: Set<string>, what: string): void {
  for (const k in o) if (!allowed.has(k)) fail(`unknown ${what} member ${JSON.stringify(k)}`)
}

function intField (v: unknown, what: string, min: number, max: number): number {
  const n = typeof v === 'bigint' ? Number(v) : v
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) fail(`${what}: expected an integer ${min}..${max}`)
  return n
}

function optName (v: unknown, what: string): Name | null {
  return v === null || v === undefined ? null : jsonToName(v, what)
}

function toRecord (o: Obj, exact: boolean): Record {
  checkMembers(o, RECORD_MEMBERS, 'record')
  if (o.namespace === undefined) fail('record: expected a "namespace" member (or "$meta" for a metadata line)')
  const namespace = jsonToName(o.namespace, 'namespace')
  const set = optName(o.set, 'set')
  let key: Key | null = null
  if (o.key !== null && o.key !== undefined) {
    const v = jsonToValue(o.key, 'key', exact)
    if (v.type === Particle.NIL || v.type === Particle.BOOL || v.type === Particle.LIST || v.type === Particle.MAP || v.type === Particle.GEOJSON) {
      fail('key: expected an integer, a double, a string or bytes')
    }
    key = v as Key
  }
  let digest: Buffer
  if (o.digest === undefined) {
    // hand-written records may leave the digest to us, as the clients do
    if (key === null) fail('record: expected a "digest" member (the base64 of 20 bytes), or a "key" to compute it from')
    digest = computeDigest(set, key)
  } else {
    digest = fromBase64(o.digest, 'digest')
    if (digest.length !== 20) fail('digest: expected the base64 of 20 bytes')
  }
  const generation = o.generation === undefined ? 0 : intField(o.generation, 'generation', 0, 65535)
  const voidTime = o.expiration === undefined ? 0 : isoToVoidTime(o.expiration)
  const jb = o.bins
  if (jb === null || typeof jb !== 'object' || Array.isArray(jb)) fail('bins: expected an object of bin name -> value')
  const binsObj = jb as Obj
  let names: string[]
  if (o.binOrder !== undefined) {
    const order = o.binOrder
    const own = Object.keys(binsObj)
    if (!Array.isArray(order) || order.length !== own.length || !order.every((k) => typeof k === 'string' && Object.hasOwn(binsObj, k)) || new Set(order).size !== order.length) {
      fail('binOrder: expected an array naming every member of "bins" once')
    }
    names = order as string[]
  } else {
    names = Object.keys(binsObj)
  }
  if (names.length > 65535) fail('bins: more than 65535 bins')
  const bins: Bin[] = new Array(names.length)
  for (let i = 0; i < names.length; i++) {
    const k = names[i]!
    const v = jsonToValue(binsObj[k], 'bins', exact, k)
    // a fresh {name, type, value}: adding `name` to v would give every bin a
    // second shape and a property store (bench/ndjson/ndjson.bench.ts)
    bins[i] = { name: binNameFromKey(k), type: v.type, value: v.value } as Bin
  }
  return { kind: 'record', namespace, set, key, digest, generation, voidTime, bins }
}

const INDEX_TYPES = new Set(['N', 'L', 'K', 'V'])
const PATH_TYPES = new Set(['S', 'N', 'G', 'B'])

function toMeta (o: Obj): Token {
  switch (o.$meta) {
    case 'header': {
      checkMembers(o, HEADER_MEMBERS, 'header')
      if (typeof o.version !== 'string' || !/^\d+\.\d+$/.test(o.version)) fail('version: expected a format version like "3.1"')
      const h: Header = {
        kind: 'header',
        version: o.version,
        namespace: optName(o.namespace, 'namespace'),
        firstFile: o.firstFile === undefined ? false : (typeof o.firstFile === 'boolean' ? o.firstFile : fail('firstFile: expected true or false'))
      }
      return h
    }
    case 'sindex': {
      checkMembers(o, SINDEX_MEMBERS, 'sindex')
      const indexType = o.indexType
      if (typeof indexType !== 'string' || !INDEX_TYPES.has(indexType)) fail('indexType: expected "N", "L", "K" or "V"')
      if (!Array.isArray(o.paths) || o.paths.length === 0) fail('paths: expected a non-empty array of {"path", "type"}')
      const paths = o.paths.map((p: unknown, i: number) => {
        if (p === null || typeof p !== 'object') fail(`paths[${i}]: expected {"path": name, "type": "S"|"N"|"G"|"B"}`)
        const po = p as Obj
        if (typeof po.type !== 'string' || !PATH_TYPES.has(po.type)) fail(`paths[${i}].type: expected "S", "N", "G" or "B"`)
        return { path: jsonToName(po.path, `paths[${i}].path`), type: po.type as IndexPathType }
      })
      const s: SIndex = {
        kind: 'sindex',
        namespace: jsonToName(o.namespace, 'namespace'),
        set: optName(o.set, 'set'),
        name: jsonToName(o.name, 'name'),
        indexType: indexType as IndexType,
        paths,
        context: optName(o.context, 'context')
      }
      if (o.expression !== undefined) {
        if (typeof o.expression !== 'string') fail('expression: expected a base64 string')
        s.expression = o.expression
      }
      return s
    }
    case 'udf': {
      checkMembers(o, UDF_MEMBERS, 'udf')
      if (typeof o.type !== 'string' || o.type.length !== 1) fail('type: expected a one-letter UDF type like "L"')
      let content: Buffer
      const c = o.content
      if (typeof c === 'string') content = Buffer.from(c, 'utf8')
      else if (c !== null && typeof c === 'object' && Object.keys(c).length === 1 && '$blob' in c) content = fromBase64((c as Obj).$blob, 'content.$blob')
      else fail('content: expected a string or {"$blob": base64}')
      const u: Udf = { kind: 'udf', type: o.type, name: jsonToName(o.name, 'name'), content }
      return u
    }
  }
  return fail('$meta: expected "header", "sindex" or "udf"')
}

function toToken (j: unknown, exact: boolean): Token {
  if (j === null || typeof j !== 'object' || Array.isArray(j)) fail('expected a JSON object')
  const o = j as Obj
  if (o.$meta !== undefined) return toMeta(o)
  return toRecord(o, exact)
}

function jsonError (err: unknown): string {
  const m = (err as Error).message
  return `invalid JSON: ${m.replace(/^(Unexpected|Expected)/, (s) => s.toLowerCase())}`
}

/**
 * One NDJSON line -> Token. Throws ParseError naming file and line (1-based).
 */
export function parseNdjsonLine (line: string, lineNo: number, file?: string): Token {
  let j: unknown
  try {
    j = JSON.parse(line)
  } catch (err) {
    // the exact parser words syntax errors the same way on every Node version
    try {
      parseExactJson(line)
    } catch (e2) {
      if (e2 instanceof JsonSyntaxError) throw new ParseError(`invalid JSON: ${e2.message}`, { file, line: lineNo })
    }
    throw new ParseError(jsonError(err), { file, line: lineNo })
  }
  try {
    return toToken(j, false)
  } catch (err) {
    if (err instanceof TypedJsonError) throw new ParseError(err.message, { file, line: lineNo })
    if (!(err instanceof NeedExactParse)) throw err
  }
  // slow path: an integer literal beyond 2^53-1
  try {
    return toToken(parseExactJson(line), true)
  } catch (err) {
    if (err instanceof TypedJsonError) throw new ParseError(err.message, { file, line: lineNo })
    if (err instanceof JsonSyntaxError) throw new ParseError(`invalid JSON: ${err.message}`, { file, line: lineNo })
    throw err
  }
}

export interface NdjsonDecodeOptions {
  /** Name used in error messages ('stdin' for standard input). */
  file?: string
}

const LF = 0x0a

/**
 * The NDJSON decoder without the stream: feed chunks, get Tokens through a
 * callback (createNdjsonDecoder and lib/convert use it).
 * `linesBefore` and `offset` say where the first byte sits, for a decoder
 * that starts mid-stream at a line start (lib/convert's workers).
 */
export class NdjsonLines {
  readonly #file: string | undefined
  #lineNo: number
  #offset: number
  #tail: Buffer[] = []
  #tailLen = 0
  #emit: (t: Token) => void = noop

  constructor (opts: NdjsonDecodeOptions & { linesBefore?: number, offset?: number } = {}) {
    this.#file = opts.file
    this.#lineNo = opts.linesBefore ?? 0
    this.#offset = opts.offset ?? 0
  }

  /** Lines finished so far (the line number of the last complete line). */
  get lines (): number { return this.#lineNo }

  /** True when no partial line is held (the input so far ends at an LF). */
  get atBoundary (): boolean { return this.#tail.length === 0 }

  #line (buf: Buffer, start: number, end: number): void {
    const lineStart = this.#offset
    this.#offset += end - start + 1
    if (!isUtf8(buf.subarray(start, end))) {
      throw new ParseError('invalid UTF-8 in the line (NDJSON is UTF-8 text)', { file: this.#file, line: this.#lineNo + 1, offset: lineStart })
    }
    this.#text(buf.toString('utf8', start, end))
  }

  /** One line of text without its LF. */
  #text (s: string): void {
    this.#lineNo++
    const c = s.charCodeAt(0)
    // whitespace-only lines (and a CR before the LF) are skipped, as most NDJSON readers do
    if (c !== 123 /* { */ && s.trim() === '') return
    this.#emit(parseNdjsonLine(s, this.#lineNo, this.#file))
  }

  /**
   * Complete lines buf[start, end) (end at an LF): validated and decoded in
   * one call each, then split as a string (bench/ndjson/ndjson.bench.ts).
   */
  #lines (buf: Buffer, start: number, end: number): void {
    const region = buf.subarray(start, end)
    if (!isUtf8(region)) {
      // find the line at fault; the lines before it are decoded as usual
      let s = start
      let i: number
      while ((i = buf.indexOf(LF, s)) !== -1 && i <= end) { this.#line(buf, s, i); s = i + 1 }
      return
    }
    const text = region.toString('utf8')
    this.#offset += end - start + 1
    let s = 0
    let i: number
    while ((i = text.indexOf('\n', s)) !== -1) {
      this.#text(text.slice(s, i))
      s = i + 1
    }
    this.#text(text.slice(s))
  }

  /** Feeds a chunk; calls onToken for every complete line. Throws ParseError on bad input. */
  write (chunk: Buffer, onToken: (t: Token) => void): void {
    this.#emit = onToken
    let start = 0
    const last = chunk.lastIndexOf(LF)
    if (last === -1) {
      this.#keep(chunk)
      return
    }
    if (this.#tail.length > 0) {
      // the carried-over start of a line ends in this chunk: join once
      const i = chunk.indexOf(LF)
      this.#tail.push(chunk.subarray(0, i))
      const line = Buffer.concat(this.#tail)
      this.#tail = []
      this.#tailLen = 0
      this.#line(line, 0, line.length)
      start = i + 1
    }
    if (start <= last) this.#lines(chunk, start, last)
    if (last + 1 < chunk.length) this.#keep(chunk.subarray(last + 1))
  }

  #keep (part: Buffer): void {
    this.#tailLen += part.length
    if (this.#tailLen > NDJSON_MAX_LINE_BYTES) {
      throw new ParseError(`line longer than ${NDJSON_MAX_LINE_BYTES} bytes`, { file: this.#file, line: this.#lineNo + 1 })
    }
    // a copy: the writer may reuse its chunk
    this.#tail.push(Buffer.from(part))
  }

  /** Signals the end of input: decodes a last line without LF. */
  end (onToken: (t: Token) => void): void {
    this.#emit = onToken
    if (this.#tail.length > 0) {
      const t = Buffer.concat(this.#tail)
      this.#tail = []
      this.#tailLen = 0
      this.#line(t, 0, t.length)
    }
  }
}

function noop (): void {}

/** NDJSON bytes -> Tokens (objectMode; lib/push-transform.ts). */
export function createNdjsonDecoder (opts: NdjsonDecodeOptions = {}): Transform {
  const lines = new NdjsonLines(opts)
  return pushTransform<Buffer, Token>({
    write: (chunk, push) => { lines.write(chunk, push) },
    end: (push) => { lines.end(push) }
  }, { readableObjectMode: true, writableObjectMode: false, readableHighWaterMark: 256 })
}
