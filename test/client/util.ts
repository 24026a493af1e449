// Helpers shared by the client tests.
import { computeDigest, encodeKeyField, makeOp, OpType, valueToParticle } from '../../lib/proto/index.js'
import { Particle, type Bin, type Key } from '../../lib/types.js'
import type { FakeRecord } from './fake-cluster.js'

export function strKey (s: string): Key {
  return { type: Particle.STRING, value: Buffer.from(s) }
}

/** Record i of a set: bins i (int) and s (string); odd records store their key. */
export function makeRecord (set: string, i: number): FakeRecord {
  const key = strKey(`k${i}`)
  const bins: Bin[] = [
    { name: 'i', type: Particle.INTEGER, value: BigInt(i) },
    { name: 's', type: Particle.STRING, value: Buffer.from(`v${i}`) }
  ]
  return {
    digest: computeDigest(set, key),
    set,
    key: i % 2 === 1 ? encodeKeyField(key) : null,
    generation: 1,
    voidTime: 0,
    ops: bins.map(b => { const p = valueToParticle(b); return makeOp(OpType.WRITE, b.name, p.type, p.bytes) })
  }
}
