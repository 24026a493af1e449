// An in-memory RecordWriter with the server's write semantics for the policy
// table, and fault injection, for unit tests of the uploader and runRestore.
import type { RecordWriter, WriteItem } from '../../lib/restore/writer.js'
import type { Bin } from '../../lib/types.js'

export interface Stored { gen: number, bins: Map<string, Bin>, ttl: number }

export class FakeWriter implements RecordWriter {
  readonly store = new Map<string, Stored>()
  /** digest (hex) -> how many times a write was applied. */
  readonly applied = new Map<string, number>()
  calls = 0
  /** Per-digest (hex) forced result codes. */
  readonly keyCodes = new Map<string, number>()
  /** Fail the next N calls as a whole with this error. */
  failNext: Array<Error & { resultCode?: number }> = []
  /** Forbid TTL writes (nsup-period 0). */
  forbidTtl = false

  apply (it: WriteItem): number {
    const key = it.record.digest.toString('hex')
    const forced = this.keyCodes.get(key)
    if (forced !== undefined) return forced
    if (this.forbidTtl && it.ttl !== -1) return 22
    const have = this.store.get(key)
    if (have !== undefined) {
      if (it.policy.exists === 'create') return 5
      if (it.policy.gen === 'gt' && !(it.record.generation > have.gen)) return 3
    }
    const bins = it.policy.exists === 'create-or-replace' || have === undefined ? new Map<string, Bin>() : new Map(have.bins)
    for (const b of it.record.bins) bins.set(String(b.name), b)
    this.store.set(key, { gen: (have?.gen ?? 0) + 1, bins, ttl: it.ttl })
    this.applied.set(key, (this.applied.get(key) ?? 0) + 1)
    return 0
  }

  async writeBatch (items: WriteItem[]): Promise<number[]> {
    this.calls++
    await new Promise((resolve) => setImmediate(resolve))
    const f = this.failNext.shift()
    if (f !== undefined) throw f
    return items.map((it) => this.apply(it))
  }

  async writeOne (item: WriteItem): Promise<number> {
    this.calls++
    await new Promise((resolve) => setImmediate(resolve))
    const f = this.failNext.shift()
    if (f !== undefined) throw f
    return this.apply(item)
  }
}

export function timeoutError (): Error {
  return Object.assign(new Error('timeout'), { code: 'ASB_ERR_TIMEOUT' })
}

export function serverError (code: number): Error & { resultCode: number } {
  return Object.assign(new Error(`server ${code}`), { resultCode: code })
}
