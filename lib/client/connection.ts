// One TCP or TLS connection to one node. Requests are written whole; answers
// are cut into whole proto messages by the codec's ProtoSplitter and queued.
// The queue is bounded: above QUEUE_HIGH_BYTES of whole messages the socket
// is paused (TCP flow control then throttles the server) and it resumes once
// the reader has drained it to QUEUE_LOW_BYTES. The read timeout only runs while a reader is
// actually waiting, so a paused (slow-consumer) connection never times out.
import { connect as netConnect, type Socket } from 'node:net'
import { checkServerIdentity, connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls'
import { AsbError, ErrorCode } from '../errors.js'
import { ProtoSplitter, type ProtoMessage } from '../proto/header.js'

/** Bytes of whole messages queued before the socket is paused (a real server flushes scan protos of ~1 MiB). */
export const QUEUE_HIGH_BYTES = 4 * 1024 * 1024
export const QUEUE_LOW_BYTES = 1024 * 1024

export interface ConnectOptions {
  host: string
  port: number
  /** Name verified against the server certificate (and sent as SNI). */
  tlsName?: string
  /** node:tls options (buildTlsConnectOptions); absent = clear TCP. */
  tls?: ConnectionOptions
  /** Connect (and TLS handshake) timeout in ms; 0 = none. Default 10000. */
  connectTimeoutMs?: number
}

let nextConnId = 1

export class Connection {
  readonly id = nextConnId++
  readonly socket: Socket | TLSSocket
  readonly #splitter = new ProtoSplitter()
  readonly #queue: ProtoMessage[] = []
  #head = 0
  #queuedBytes = 0
  #waiter: { resolve: (m: ProtoMessage) => void, reject: (e: Error) => void, timer: NodeJS.Timeout | null } | null = null
  #error: Error | null = null
  #pausedByUs = false
  /** Set by the pool: when the connection was last returned. */
  lastUsed = 0

  private constructor (socket: Socket | TLSSocket) {
    this.socket = socket
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => {
      try {
        this.#splitter.push(chunk, (m) => { this.#queue.push(m); this.#queuedBytes += m.body.length })
      } catch (err) {
        this.#fail(err as Error)
        socket.destroy()
        return
      }
      if (this.#queuedBytes >= QUEUE_HIGH_BYTES && !this.#pausedByUs) {
        this.#pausedByUs = true
        socket.pause()
      }
      this.#wake()
    })
    socket.on('error', (err) => { this.#fail(new AsbError(ErrorCode.CONNECTION, `connection to ${this.address}: ${err.message}`, { cause: err })) })
    socket.on('close', () => { this.#fail(new AsbError(ErrorCode.CONNECTION, `connection to ${this.address} closed by the server`)) })
  }

  get address (): string {
    return `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}`
  }

  /** True while the connection can carry requests. */
  get usable (): boolean {
    return this.#error === null && !this.socket.destroyed
  }

  /** Open a connection; rejects with a CONNECTION or TIMEOUT AsbError. */
  static open (o: ConnectOptions): Promise<Connection> {
    const timeout = o.connectTimeoutMs ?? 10_000
    return new Promise((resolve, reject) => {
      let socket: Socket | TLSSocket
      const where = `${o.host}:${o.port}`
      const onError = (err: Error): void => {
        clearTimeout(timer)
        socket.destroy()
        reject(new AsbError(ErrorCode.CONNECTION, `cannot connect to ${where}: ${err.message}`, { cause: err }))
      }
      const onConnect = (): void => {
        clearTimeout(timer)
        socket.off('error', onError)
        resolve(new Connection(socket))
      }
      if (o.tls !== undefined) {
        const servername = o.tlsName
        socket = tlsConnect({
          ...o.tls,
          host: o.host,
          port: o.port,
          servername: servername !== undefined && !/^[\d.:]+$/.test(servername) ? servername : undefined,
          checkServerIdentity: (host, cert) => (o.tls!.checkServerIdentity ?? checkServerIdentity)(servername ?? host, cert)
        }, onConnect)
      } else {
        socket = netConnect({ host: o.host, port: o.port }, onConnect)
      }
      socket.once('error', onError)
      const timer = setTimeout(() => {
        socket.destroy()
        reject(new AsbError(ErrorCode.TIMEOUT, `connect to ${where} timed out after ${timeout} ms`))
      }, timeout > 0 ? timeout : 2 ** 31 - 1)
    })
  }

  /** Write a whole request. */
  send (buf: Buffer): void {
    if (this.#error !== null) throw this.#error
    this.socket.write(buf)
  }

  /** The next queued message, or null; never waits. */
  tryRead (): ProtoMessage | null {
    if (this.#head >= this.#queue.length) return null
    const m = this.#queue[this.#head]
    this.#queue[this.#head++] = undefined as unknown as ProtoMessage
    this.#queuedBytes -= m.body.length
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0
      this.#head = 0
    }
    if (this.#pausedByUs && this.#queuedBytes <= QUEUE_LOW_BYTES) {
      this.#pausedByUs = false
      this.socket.resume()
    }
    return m
  }

  /**
   * The next whole message. `timeoutMs` (0 = none) bounds only the time spent
   * waiting here; on timeout the connection is destroyed.
   */
  read (timeoutMs = 0): Promise<ProtoMessage> {
    const m = this.tryRead()
    if (m !== null) return Promise.resolve(m)
    if (this.#error !== null) return Promise.reject(this.#error)
    if (this.#waiter !== null) return Promise.reject(new Error('Connection.read: concurrent reads'))
    return new Promise((resolve, reject) => {
      const timer = timeoutMs > 0
        ? setTimeout(() => {
          const err = new AsbError(ErrorCode.TIMEOUT, `no answer from ${this.address} within ${timeoutMs} ms`)
          this.#fail(err)
          this.socket.destroy()
        }, timeoutMs)
        : null
      this.#waiter = { resolve, reject, timer }
    })
  }

  /** Send and wait for exactly one answer message. */
  async request (buf: Buffer, timeoutMs = 0): Promise<ProtoMessage> {
    this.send(buf)
    return await this.read(timeoutMs)
  }

  close (): void {
    this.#fail(new AsbError(ErrorCode.CONNECTION, 'connection closed'))
    this.socket.destroy()
  }

  #wake (): void {
    const w = this.#waiter
    if (w === null) return
    const m = this.tryRead()
    if (m === null) return
    this.#waiter = null
    if (w.timer !== null) clearTimeout(w.timer)
    w.resolve(m)
  }

  #fail (err: Error): void {
    if (this.#error === null) this.#error = err
    const w = this.#waiter
    // queued messages are still delivered before the error
    if (w !== null && this.#head >= this.#queue.length) {
      this.#waiter = null
      if (w.timer !== null) clearTimeout(w.timer)
      w.reject(this.#error)
    }
  }
}
