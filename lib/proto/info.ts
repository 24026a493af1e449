// Info protocol (proto type 1, wire-protocol.md §2). Request: each command
// followed by '\n' (a command without it is ignored by the server). Response:
// per command "<command as sent>\t<value>\n".
import { encodeProtoHeader, PROTO_HEADER_SIZE, ProtoType } from './header.js'

export function encodeInfoRequest (commands: string[]): Buffer {
  const text = commands.length === 0 ? '' : commands.join('\n') + '\n'
  const body = Buffer.from(text, 'utf8')
  return Buffer.concat([encodeProtoHeader(ProtoType.INFO, body.length), body], PROTO_HEADER_SIZE + body.length)
}

/** Commands of a request body, in order (lines without the trailing '\n' are dropped, as the server does). */
export function parseInfoRequest (body: Buffer): string[] {
  const text = body.toString('utf8')
  const parts = text.split('\n')
  parts.pop() // text after the last '\n' is not a command
  return parts
}

/** command -> value. A line without a tab maps to ''. Later duplicates win. */
export function parseInfoResponse (body: Buffer): Map<string, string> {
  const out = new Map<string, string>()
  const text = body.toString('utf8')
  let start = 0
  while (start < text.length) {
    let nl = text.indexOf('\n', start)
    if (nl < 0) nl = text.length
    const line = text.slice(start, nl)
    const tab = line.indexOf('\t')
    if (tab < 0) out.set(line, '')
    else out.set(line.slice(0, tab), line.slice(tab + 1))
    start = nl + 1
  }
  return out
}

/** A whole INFO response message (header included). */
export function encodeInfoResponse (pairs: Iterable<readonly [string, string]>): Buffer {
  let text = ''
  for (const [k, v] of pairs) text += `${k}\t${v}\n`
  const body = Buffer.from(text, 'utf8')
  return Buffer.concat([encodeProtoHeader(ProtoType.INFO, body.length), body], PROTO_HEADER_SIZE + body.length)
}

/** `ERROR:<code>:<message>` values (thr_info.c) -> { code, message }, else null. */
export function parseInfoError (value: string): { code: number, message: string } | null {
  const m = /^ERROR:(-?\d+):?(.*)$/s.exec(value)
  if (m === null) return null
  return { code: Number(m[1]), message: m[2]! }
}

/** Splits `k1=v1;k2=v2` (or another separator) into a Map. */
export function parseKeyValues (value: string, sep = ';', eq = '='): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of value.split(sep)) {
    if (part === '') continue
    const i = part.indexOf(eq)
    if (i < 0) out.set(part, '')
    else out.set(part.slice(0, i), part.slice(i + 1))
  }
  return out
}
