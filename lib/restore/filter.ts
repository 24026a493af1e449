// Client-side filtering and namespace remap (asb-format.md §9.2;
// restore.c:restore_thread_func, check_set). Filtering is a return value:
// null means "skip and count", an exception means a hard error.
import { AsbError, ErrorCode } from '../errors.js'
import { nameBytes, nameToString } from '../name.js'
import type { Header, Name, Record, SIndex } from '../types.js'

export interface FilterOptions {
  namespace: { src: string, dst: string } | null
  /** null = every set; '' matches records without a set. */
  sets: string[] | null
  /** null = every bin. */
  bins: string[] | null
}

export class RecordFilter {
  readonly #src: Buffer | null
  readonly #dst: string | null
  readonly #sets: Buffer[] | null
  readonly #bins: Buffer[] | null

  constructor (opts: FilterOptions) {
    this.#src = opts.namespace === null ? null : Buffer.from(opts.namespace.src)
    this.#dst = opts.namespace === null ? null : opts.namespace.dst
    this.#sets = opts.sets === null ? null : opts.sets.map((s) => Buffer.from(s))
    this.#bins = opts.bins === null ? null : opts.bins.map((b) => Buffer.from(b))
  }

  /** Namespace a record/index of namespace `ns` is written to; throws when `-n src` does not match. */
  namespace (ns: Name, what: string): Name {
    if (this.#src === null) return ns
    if (!nameBytes(ns).equals(this.#src)) {
      throw new AsbError(ErrorCode.INVALID, `Invalid namespace ${nameToString(ns)} in ${what}, expected: ${this.#src.toString()}`)
    }
    return this.#dst!
  }

  header (h: Header): Header {
    if (h.namespace === null) return h
    return { ...h, namespace: this.namespace(h.namespace, 'backup file header') }
  }

  setWanted (set: Name | null): boolean {
    if (this.#sets === null) return true
    const b = set === null ? Buffer.alloc(0) : nameBytes(set)
    return this.#sets.some((s) => s.equals(b))
  }

  /** The index remapped, or null when its set is not wanted (skipped_indexes). */
  sindex (idx: SIndex): SIndex | null {
    const namespace = this.namespace(idx.namespace, 'index line')
    if (this.#sets !== null && !this.setWanted(idx.set)) return null
    return namespace === idx.namespace ? idx : { ...idx, namespace }
  }

  /**
   * The record to write (remapped, bins filtered), or null to skip it: set not
   * listed, or no bins left.
   */
  record (rec: Record): Record | null {
    const namespace = this.namespace(rec.namespace, 'backup record')
    if (!this.setWanted(rec.set)) return null
    let bins = rec.bins
    if (this.#bins !== null) {
      const want = this.#bins
      bins = bins.filter((b) => { const n = nameBytes(b.name); return want.some((w) => w.equals(n)) })
    }
    if (bins.length === 0) return null
    if (namespace === rec.namespace && bins === rec.bins) return rec
    return { ...rec, namespace, bins }
  }
}
