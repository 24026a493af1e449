// GeoJSON particles as the server stores them (particle_geojson.c): flags,
// ncells, the S2 cell ids, then the JSON text. For a Point the server keeps
// the point's leaf cell (level 30); this computes it the way the S2 library
// does (S2CellId::FromPoint: face, quadratic UV->ST, Hilbert position).
// Other shapes keep what the client sent (ncells 0): the test server does not
// compute region coverings. Text that is not JSON is refused (160).

const MAX_LEVEL = 30
const LOOKUP_BITS = 4
const SWAP = 1
const INVERT = 2
const POS_TO_IJ = [[0, 1, 3, 2], [0, 2, 3, 1], [3, 2, 0, 1], [3, 1, 0, 2]]
const POS_TO_ORIENTATION = [SWAP, 0, 0, INVERT | SWAP]
const lookupPos = new Int32Array(1 << (2 * LOOKUP_BITS + 2))

function initLookup (level: number, i: number, j: number, origOrientation: number, pos: number, orientation: number): void {
  if (level === LOOKUP_BITS) {
    const ij = (i << LOOKUP_BITS) + j
    lookupPos[(ij << 2) + origOrientation] = (pos << 2) + orientation
    return
  }
  level++
  i <<= 1
  j <<= 1
  pos <<= 2
  const r = POS_TO_IJ[orientation]!
  for (let k = 0; k < 4; k++) {
    initLookup(level, i + (r[k]! >> 1), j + (r[k]! & 1), origOrientation, pos + k, orientation ^ POS_TO_ORIENTATION[k]!)
  }
}
initLookup(0, 0, 0, 0, 0, 0)
initLookup(0, 0, 0, SWAP, 0, SWAP)
initLookup(0, 0, 0, INVERT, 0, INVERT)
initLookup(0, 0, 0, SWAP | INVERT, 0, SWAP | INVERT)

function uvToSt (u: number): number {
  return u >= 0 ? 0.5 * Math.sqrt(1 + 3 * u) : 1 - 0.5 * Math.sqrt(1 - 3 * u)
}

function stToIj (s: number): number {
  return Math.max(0, Math.min((1 << MAX_LEVEL) - 1, Math.floor((1 << MAX_LEVEL) * s)))
}

/** The S2 leaf cell id of a longitude/latitude in degrees. */
export function s2LeafCell (lng: number, lat: number): bigint {
  const phi = lat * Math.PI / 180
  const theta = lng * Math.PI / 180
  const x = Math.cos(theta) * Math.cos(phi)
  const y = Math.sin(theta) * Math.cos(phi)
  const z = Math.sin(phi)
  const ax = Math.abs(x); const ay = Math.abs(y); const az = Math.abs(z)
  let face = ax > ay ? (ax > az ? 0 : 2) : (ay > az ? 1 : 2)
  if ([x, y, z][face]! < 0) face += 3
  let u: number, v: number
  switch (face) {
    case 0: u = y / x; v = z / x; break
    case 1: u = -x / y; v = z / y; break
    case 2: u = -x / z; v = -y / z; break
    case 3: u = z / x; v = y / x; break
    case 4: u = z / y; v = -x / y; break
    default: u = -y / z; v = -x / z
  }
  const i = stToIj(uvToSt(u))
  const j = stToIj(uvToSt(v))
  let n = BigInt(face) << 60n
  let bits = face & SWAP
  const mask = (1 << LOOKUP_BITS) - 1
  for (let k = 7; k >= 0; k--) {
    bits += ((i >> (k * LOOKUP_BITS)) & mask) << (LOOKUP_BITS + 2)
    bits += ((j >> (k * LOOKUP_BITS)) & mask) << 2
    bits = lookupPos[bits]!
    n |= BigInt(bits >> 2) << BigInt(k * 2 * LOOKUP_BITS)
    bits &= SWAP | INVERT
  }
  return n * 2n + 1n
}

/**
 * The stored form of an incoming GeoJSON particle, or null when the text is
 * not valid GeoJSON (result 160).
 */
export function normaliseGeo (particle: Buffer): Buffer | null {
  if (particle.length < 3) return null
  const ncells = particle.readUInt16BE(1)
  const textStart = 3 + 8 * ncells
  if (textStart > particle.length) return null
  const text = particle.subarray(textStart)
  let obj: unknown
  try { obj = JSON.parse(text.toString('utf8')) } catch { return null }
  if (obj === null || typeof obj !== 'object' || typeof (obj as { type?: unknown }).type !== 'string') return null
  const g = obj as { type: string, coordinates?: unknown }
  if (g.type === 'Point') {
    const c = g.coordinates
    if (!Array.isArray(c) || c.length < 2 || typeof c[0] !== 'number' || typeof c[1] !== 'number') return null
    const out = Buffer.alloc(3 + 8 + text.length)
    out.writeUInt16BE(1, 1)
    out.writeBigUInt64BE(s2LeafCell(c[0], c[1]), 3)
    text.copy(out, 11)
    return out
  }
  return particle
}
