// `-N/--nice MiB/s,TPS`: a pacing gate on records and bytes (asrestore
// throttles only when both limits are set). Tokens accrue continuously; a
// caller that is ahead of the budget waits, so the decoder upstream waits too.
export interface ThrottleOptions {
  bytesPerSecond: number
  tps: number
  now?: () => number
  sleep?: (ms: number) => Promise<void>
}

export class Throttle {
  readonly #o: Required<ThrottleOptions>
  #start = -1
  #records = 0
  #bytes = 0

  constructor (opts: ThrottleOptions) {
    this.#o = {
      now: () => performance.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      ...opts
    }
  }

  /** Accounts one record of `bytes` bytes; resolves when it may be sent. */
  async take (bytes: number): Promise<void> {
    if (this.#start < 0) this.#start = this.#o.now()
    this.#records++
    this.#bytes += bytes
    const due = Math.max(this.#records / this.#o.tps, this.#bytes / this.#o.bytesPerSecond) * 1000
    const wait = this.#start + due - this.#o.now()
    if (wait > 1) await this.#o.sleep(wait)
  }
}

/** Approximate wire size of a record's bins (bin names + values), for the bandwidth budget. */
export function recordBytes (rec: { bins: Array<{ name: string | Buffer, value: unknown }> }): number {
  let n = 0
  for (const b of rec.bins) {
    n += 8 + (typeof b.name === 'string' ? b.name.length : b.name.length)
    const v = b.value
    if (Buffer.isBuffer(v)) n += v.length
    else n += 8
  }
  return n
}
