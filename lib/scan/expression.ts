// The filter expression asbackup builds from -s a,b / -a / -b / --no-ttl-only
// (backup_status.c:backup_status_init + parse_sets, utils.c:
// exp_component_join_and_compile), packed as the C client packs an as_exp:
// msgpack `[op, args...]` (wire-protocol.md §6.1), ints in their minimal form,
// string values as msgpack str with the particle-type prefix byte 3.

export const ExpOp = {
  EQ: 1,
  GE: 4,
  LT: 5,
  AND: 16,
  OR: 17,
  LAST_UPDATE: 66,
  TTL: 69,
  SET_NAME: 70
} as const

type Node = number | bigint | { str: string } | Node[]

function packInt (out: number[], v: bigint): void {
  if (v >= 0n) {
    if (v < 128n) out.push(Number(v))
    else if (v < 0x100n) out.push(0xcc, Number(v))
    else if (v < 0x10000n) out.push(0xcd, Number(v >> 8n), Number(v & 0xffn))
    else if (v < 0x100000000n) { out.push(0xce); pushBE(out, v, 4) } else { out.push(0xcf); pushBE(out, v, 8) }
    return
  }
  if (v >= -32n) out.push(Number(v & 0xffn))
  else if (v >= -0x80n) out.push(0xd0, Number(v & 0xffn))
  else if (v >= -0x8000n) { out.push(0xd1); pushBE(out, v & 0xffffn, 2) } else if (v >= -0x80000000n) { out.push(0xd2); pushBE(out, v & 0xffffffffn, 4) } else { out.push(0xd3); pushBE(out, BigInt.asUintN(64, v), 8) }
}

function pushBE (out: number[], v: bigint, n: number): void {
  for (let i = n - 1; i >= 0; i--) out.push(Number((v >> BigInt(8 * i)) & 0xffn))
}

function packNode (out: number[], n: Node): void {
  if (typeof n === 'number') { packInt(out, BigInt(n)); return }
  if (typeof n === 'bigint') { packInt(out, n); return }
  if (Array.isArray(n)) {
    if (n.length < 16) out.push(0x90 | n.length)
    else { out.push(0xdc); pushBE(out, BigInt(n.length), 2) }
    for (const c of n) packNode(out, c)
    return
  }
  const bytes = Buffer.from(n.str, 'utf8')
  const size = bytes.length + 1
  if (size < 32) out.push(0xa0 | size)
  else if (size < 0x100) out.push(0xd9, size)
  else if (size < 0x10000) { out.push(0xda); pushBE(out, BigInt(size), 2) } else { out.push(0xdb); pushBE(out, BigInt(size), 4) }
  out.push(3)
  for (const b of bytes) out.push(b)
}

/** Pack an expression tree into the bytes sent as the FILTER_EXP field. */
export function packExpression (n: Node): Buffer {
  const out: number[] = []
  packNode(out, n)
  return Buffer.from(out)
}

export interface SelectionFilter {
  /** -s with two or more sets. */
  sets?: string[]
  /** -b: ns since the Unix epoch (last_update() < T). */
  modifiedBefore?: bigint
  /** -a: ns since the Unix epoch (last_update() >= T). */
  modifiedAfter?: bigint
  /** --no-ttl-only: ttl() == -1. */
  noTtlOnly?: boolean
}

/**
 * asbackup's combined filter: AND of (multi-set OR, modified-before,
 * modified-after, no-ttl-only) in that order, a single component alone, or
 * null when there is none.
 */
export function buildSelectionExpression (f: SelectionFilter): Buffer | null {
  const parts: Node[] = []
  if (f.sets !== undefined && f.sets.length > 1) {
    parts.push([ExpOp.OR, ...f.sets.map((s): Node => [ExpOp.EQ, [ExpOp.SET_NAME], { str: s }])])
  }
  if (f.modifiedBefore !== undefined && f.modifiedBefore > 0n) parts.push([ExpOp.LT, [ExpOp.LAST_UPDATE], f.modifiedBefore])
  if (f.modifiedAfter !== undefined && f.modifiedAfter > 0n) parts.push([ExpOp.GE, [ExpOp.LAST_UPDATE], f.modifiedAfter])
  if (f.noTtlOnly === true) parts.push([ExpOp.EQ, [ExpOp.TTL], -1])
  if (parts.length === 0) return null
  return packExpression(parts.length === 1 ? parts[0] : [ExpOp.AND, ...parts])
}
