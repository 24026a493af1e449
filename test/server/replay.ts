// Replays captured client requests against a test server, connection by
// connection, and collects the answers as whole proto messages.
import { connect, type Socket } from 'node:net'
import { ProtoSplitter, ProtoType, type ProtoMessage } from '../../lib/proto/header.js'
import { decodeMessage, decodeMessages, encodeMessage, FieldType, getField, Info1, Info3, type AsMessage } from '../../lib/proto/message.js'
import { encodeInfoRequest, parseInfoResponse } from '../../lib/proto/info.js'
import type { CapturedMessage } from '../proto/load-captures.js'

export class ReplayConn {
  readonly #socket: Socket
  readonly #splitter = new ProtoSplitter()
  readonly #queue: ProtoMessage[] = []
  #waiter: (() => void) | null = null
  #closed = false

  private constructor (socket: Socket) {
    this.#socket = socket
    socket.on('data', (c: Buffer) => {
      this.#splitter.push(c, m => { this.#queue.push({ type: m.type, body: Buffer.from(m.body) }) })
      this.#waiter?.()
    })
    socket.on('close', () => { this.#closed = true; this.#waiter?.() })
    socket.on('error', () => {})
  }

  static open (port: number): Promise<ReplayConn> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new ReplayConn(s)))
      s.once('error', reject)
    })
  }

  /** Wraps an already connected socket (e.g. TLS). */
  static wrap (socket: Socket): ReplayConn { return new ReplayConn(socket) }

  /** Info commands -> values. */
  async info (cmds: string[]): Promise<Map<string, string>> {
    const r = await this.send(encodeInfoRequest(cmds), false)
    return parseInfoResponse(r[0]?.body ?? Buffer.alloc(0))
  }

  /** An AS_MSG request; the answer's as_msgs (streams flattened). */
  async msg (m: AsMessage): Promise<AsMessage[]> {
    const streaming = (m.info1 & Info1.BATCH) !== 0 || getField(m, FieldType.DIGEST) === undefined
    const r = await this.send(encodeMessage(m), streaming)
    return r.flatMap(p => decodeMessages(p.body))
  }

  get closed (): boolean { return this.#closed }

  async next (timeoutMs = 5000): Promise<ProtoMessage | null> {
    const deadline = Date.now() + timeoutMs
    while (this.#queue.length === 0) {
      if (this.#closed || Date.now() > deadline) return null
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, 50)
        this.#waiter = () => { clearTimeout(timer); resolve() }
      })
      this.#waiter = null
    }
    return this.#queue.shift()!
  }

  /** Sends a request and reads its whole answer (one proto, or a stream up to LAST for scans/batches). */
  async request (req: CapturedMessage): Promise<ProtoMessage[]> {
    return this.send(req.bytes, isStreaming(req))
  }

  /** Sends bytes; reads one proto, or (streaming) protos up to LAST or an up-front error. */
  async send (bytes: Buffer, streaming: boolean): Promise<ProtoMessage[]> {
    this.#socket.write(bytes)
    const out: ProtoMessage[] = []
    for (;;) {
      const m = await this.next()
      if (m === null) return out
      out.push(m)
      if (!streaming || m.type !== ProtoType.MSG) return out
      const msgs = decodeMessages(m.body)
      const last = msgs[msgs.length - 1]
      if (last === undefined) continue
      if ((last.info3 & Info3.LAST) !== 0) return out
      if (msgs.length === 1 && last.resultCode !== 0 && (last.info3 & Info3.PARTITION_DONE) === 0) return out
    }
  }

  close (): void { this.#socket.destroy() }
}

/** A scan, query or batch request (answered by a stream ending with LAST). */
export function isStreaming (req: CapturedMessage): boolean {
  if (req.type !== ProtoType.MSG) return false
  const { msg } = decodeMessage(req.body, 0)
  return (msg.info1 & Info1.BATCH) !== 0 || getField(msg, FieldType.DIGEST) === undefined
}
