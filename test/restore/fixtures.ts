// Small builders for restore tests.
import type { Bin, Record, SIndex } from '../../lib/types.js'
import { Particle } from '../../lib/types.js'

export function intBin (name: string, v: number): Bin {
  return { name, type: Particle.INTEGER, value: BigInt(v) }
}

export function strBin (name: string, v: string): Bin {
  return { name, type: Particle.STRING, value: Buffer.from(v) }
}

let seq = 0
export function rec (over: Partial<Record> = {}): Record {
  const d = Buffer.alloc(20)
  d.writeUInt32BE(++seq, 0)
  return {
    kind: 'record',
    namespace: 'test',
    set: 'demo',
    key: null,
    digest: d,
    generation: 1,
    voidTime: 0,
    bins: [intBin('a', 1)],
    ...over
  }
}

export function sindex (over: Partial<SIndex> = {}): SIndex {
  return {
    kind: 'sindex',
    namespace: 'test',
    set: 'demo',
    name: 'idx_a',
    indexType: 'N',
    paths: [{ path: 'a', type: 'N' }],
    context: null,
    ...over
  }
}
