// Decoded values against the intended values in ../shared/fixtures/asb/dataset.json:
// every golden-set record, plus the set-less and `golden sp` records of golden_ns.asb.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { AsbDecoder } from '../../lib/asb/decode.js'
import { Particle } from '../../lib/types.js'
import type { Bin, Record, Token } from '../../lib/types.js'
import { ASB_FIXTURES } from '../helpers.js'

interface DValue { t: string, v?: unknown, b64?: string }
interface DRecord {
  set: string | null
  key: DValue
  keyStored: boolean
  digest: string
  ttlWritten: string | number
  gen: number
  bins: { [name: string]: DValue }
}

const dataset = JSON.parse(readFileSync(join(ASB_FIXTURES, 'dataset.json'), 'utf8')) as { records: DRecord[] }

function records (file: string): Map<string, Record> {
  const out = new Map<string, Record>()
  const dec = new AsbDecoder({ file })
  const push = (tok: Token): void => { if (tok.kind === 'record') out.set(tok.digest.toString('base64'), tok) }
  dec.write(readFileSync(join(ASB_FIXTURES, file)), push)
  dec.end(push)
  return out
}

type TestLike = Pick<typeof t, 'equal' | 'ok' | 'fail'>

const BYTES_TYPES: { [t: string]: number } = { bytes: Particle.BLOB, 'hll-or-bytes': Particle.HLL }

function checkBin (t: TestLike, where: string, bin: Bin | undefined, want: DValue): void {
  if (bin === undefined) { t.fail(`${where}: missing`); return }
  switch (want.t) {
    case 'int':
      t.equal(bin.type, Particle.INTEGER, `${where}: int`)
      t.equal(bin.value, BigInt(want.v as string), `${where}: ${String(want.v)}`)
      break
    case 'double': {
      t.equal(bin.type, Particle.DOUBLE, `${where}: double`)
      const v = Number(want.v as string)
      t.ok(Object.is(bin.value, v), `${where}: ${String(want.v)} (got ${String(bin.value)})`)
      break
    }
    case 'string': {
      t.equal(bin.type, Particle.STRING, `${where}: string`)
      // QUIRK of asbackup 4.5.8: it writes a string bin only up to its first NUL
      // (golden.asb line 463 is `- S s_nul 1 a` for "a\0b"); we read what the file holds.
      const text = want.v as string
      const written = text.includes('\0') ? text.slice(0, text.indexOf('\0')) : text
      t.ok((bin.value as Buffer).equals(Buffer.from(written, 'utf8')), `${where}: bytes`)
      break
    }
    case 'geojson':
      t.equal(bin.type, Particle.GEOJSON, `${where}: geojson`)
      t.equal((bin.value as Buffer).toString('utf8'), want.v, `${where}: text`)
      break
    case 'bool':
      t.equal(bin.type, Particle.BOOL, `${where}: bool`)
      t.equal(bin.value, want.v, `${where}: ${String(want.v)}`)
      break
    case 'bytes':
    case 'hll-or-bytes':
      t.equal(bin.type, BYTES_TYPES[want.t], `${where}: particle ${BYTES_TYPES[want.t]!}`)
      t.ok((bin.value as Buffer).equals(Buffer.from(want.b64!, 'base64')), `${where}: bytes`)
      break
    case 'list':
      t.equal(bin.type, Particle.LIST, `${where}: list kept as raw msgpack`)
      t.ok(Buffer.isBuffer(bin.value) && (bin.value as Buffer).length > 0, `${where}: bytes`)
      break
    case 'map':
      t.equal(bin.type, Particle.MAP, `${where}: map kept as raw msgpack`)
      t.ok(Buffer.isBuffer(bin.value) && (bin.value as Buffer).length > 0, `${where}: bytes`)
      break
    case 'cdt-from-ops':
      t.ok(bin.type === Particle.MAP || bin.type === Particle.LIST, `${where}: CDT`)
      break
    default:
      t.fail(`${where}: unknown dataset type ${want.t}`)
  }
}

t.test('every dataset record decodes to its intended key, generation, expiration and bins', async t => {
  const golden = records('golden.asb')
  const ns = records('golden_ns.asb')
  let checked = 0
  for (const d of dataset.records) {
    const r = d.set === 'golden' ? golden.get(d.digest) : ns.get(d.digest)
    const id = `${d.set ?? '(no set)'}/${JSON.stringify(d.key.v ?? d.key.b64)}`
    if (r === undefined) { t.fail(`${id}: not found by digest`); continue }
    checked++
    t.equal(r.set, d.set, `${id}: set`)
    t.equal(r.generation, d.gen, `${id}: generation`)
    if (d.ttlWritten === -1) t.equal(r.voidTime, 0, `${id}: never expires -> + t 0`)
    if (typeof d.ttlWritten === 'number' && d.ttlWritten > 0) t.ok(r.voidTime > 0, `${id}: has a void-time`)
    if (!d.keyStored) {
      t.equal(r.key, null, `${id}: key not stored`)
    } else if (d.key.t === 'int') {
      t.same(r.key, { type: Particle.INTEGER, value: BigInt(d.key.v as string) }, `${id}: int key`)
    } else if (d.key.t === 'string') {
      t.same(r.key, { type: Particle.STRING, value: Buffer.from(d.key.v as string, 'utf8') }, `${id}: string key`)
    } else {
      t.same(r.key, { type: Particle.BLOB, value: Buffer.from(d.key.b64!, 'base64') }, `${id}: blob key`)
    }
    const names = r.bins.map(b => b.name)
    t.same([...names].sort(), Object.keys(d.bins).sort(), `${id}: bin names`)
    for (const [name, want] of Object.entries(d.bins)) checkBin(t, `${id} ${JSON.stringify(name)}`, r.bins.find(b => b.name === name), want)
  }
  t.equal(checked, dataset.records.length)
  t.ok(checked >= 59, `${checked} records checked`)
})

t.test('golden.asb keeps bins in file order and the many-bins record whole', async t => {
  const golden = [...records('golden.asb').values()]
  const many = golden.find(r => r.bins.length === 60)
  t.ok(many, 'the 60-bin record')
  const text = readFileSync(join(ASB_FIXTURES, 'golden.asb'), 'latin1')
  const start = text.indexOf('- I b00 0\n')
  const order = [...text.slice(start).matchAll(/^- [A-Z] (b\d\d) /gm)].slice(0, 60).map(m => m[1])
  t.same(many!.bins.map(b => b.name), order)
})
