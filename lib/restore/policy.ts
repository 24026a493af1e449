// The write policy table (asb-format.md §9.3; batch_uploader.c
// _init_batch_write_policy / _init_key_put_policy).
import type { Record } from '../types.js'

/**
 * Exists policy, Aerospike naming:
 *   'ignore'            create the record or update (merge bins into) it — asrestore's default
 *   'create'            only create; an existing record answers KEY_EXISTS (5) -> "existed"
 *   'create-or-replace' create, or replace all bins of an existing record
 */
export type ExistsPolicy = 'ignore' | 'create' | 'create-or-replace'
/** 'gt': write only when the record's generation is greater than the server's (else 3 -> "fresher"). */
export type GenerationPolicy = 'gt' | 'ignore'

export interface WritePolicy {
  exists: ExistsPolicy
  gen: GenerationPolicy
}

export interface PolicyFlags {
  unique: boolean
  replace: boolean
  noGeneration: boolean
}

/** One policy for the whole run; the key policy is per record (sendKey when the record carries its key). */
export function writePolicy (flags: PolicyFlags): WritePolicy {
  return {
    exists: flags.unique ? 'create' : (flags.replace ? 'create-or-replace' : 'ignore'),
    gen: flags.noGeneration ? 'ignore' : 'gt'
  }
}

/** AS_POLICY_KEY_SEND when the record carried `+ k`, else digest only. */
export function sendKey (rec: Record): boolean {
  return rec.key !== null
}
