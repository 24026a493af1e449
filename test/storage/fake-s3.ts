// A minimal in-memory S3 (path-style) with fault injection, for what s3rver
// cannot do: AbortMultipartUpload, ListMultipartUploads/ListParts, suffix and
// one-byte ranges, and injected 5xx, SlowDown, dropped bodies, resets, latency.
//
// Operations: CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
// AbortMultipartUpload, ListMultipartUploads, ListParts, PutObject, GetObject
// (Range, If-Match), HeadObject, DeleteObject, ListObjectsV2 (pagination).
// Signatures are not checked. Listens on 127.0.0.1, ephemeral port.
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

export type Op =
  | 'CreateMultipartUpload' | 'UploadPart' | 'CompleteMultipartUpload' | 'AbortMultipartUpload'
  | 'ListMultipartUploads' | 'ListParts' | 'PutObject' | 'GetObject' | 'HeadObject' | 'DeleteObject'
  | 'ListObjectsV2' | 'Unknown'

export interface Fault {
  /** Which operation it hits ('*' = any). */
  op: Op | '*'
  /** How many requests it hits (default 1); Infinity for all. */
  times?: number
  /** Only requests for which this is true. */
  when?: (r: RequestInfo) => boolean
  /** Answer with this HTTP status and S3 error code (e.g. 503 SlowDown). */
  status?: number
  code?: string
  /** GetObject: send the headers and this many body bytes, then destroy the socket. */
  dropAfter?: number
  /** Destroy the socket before answering. */
  reset?: boolean
  /** Wait this long before handling (the request still succeeds unless other fields say otherwise). */
  delayMs?: number
}

export interface RequestInfo { op: Op, method: string, bucket: string, key: string, query: URLSearchParams, headers: IncomingMessage['headers'] }

interface StoredObject { data: Buffer, etag: string, lastModified: Date }
interface Upload { key: string, bucket: string, initiated: Date, parts: Map<number, { data: Buffer, etag: string }> }

export class FakeS3 {
  readonly buckets = new Map<string, Map<string, StoredObject>>()
  readonly uploads = new Map<string, Upload>()
  readonly faults: Fault[] = []
  /** Every request seen, in order. */
  readonly requests: RequestInfo[] = []
  /** Added to every request of these ops. */
  latency: Partial<Record<Op, number>> = {}
  /** Smallest part CompleteMultipartUpload accepts except the last (S3: 5 MiB). */
  minPartSize = 5 * 1024 * 1024
  /** Called when a request arrives (before faults), for tests that react to progress. */
  onRequest?: (r: RequestInfo) => void
  #server: Server
  #sockets = new Set<Socket>()
  #nextId = 1
  port = 0

  constructor (buckets: string[]) {
    for (const b of buckets) this.buckets.set(b, new Map())
    this.#server = createServer((req, res) => { this.#handle(req, res).catch((err: unknown) => { res.destroy(err as Error) }) })
    this.#server.on('connection', (s) => { this.#sockets.add(s); s.on('close', () => this.#sockets.delete(s)) })
    this.#server.keepAliveTimeout = 60_000
  }

  get endpoint (): string { return `http://127.0.0.1:${this.port}` }

  async start (): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
    this.port = (this.#server.address() as { port: number }).port
    return this
  }

  async close (): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  count (op: Op): number { return this.requests.filter((r) => r.op === op).length }

  put (bucket: string, key: string, data: Buffer): void {
    this.buckets.get(bucket)!.set(key, { data, etag: `"${md5hex(data)}"`, lastModified: new Date() })
  }

  get (bucket: string, key: string): Buffer | undefined { return this.buckets.get(bucket)?.get(key)?.data }

  async #handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://x')
    const path = u.pathname.slice(1)
    const slash = path.indexOf('/')
    const bucket = decodeURIComponent(slash < 0 ? path : path.slice(0, slash))
    const key = slash < 0 ? '' : decodeURIComponent(path.slice(slash + 1))
    const q = u.searchParams
    const info: RequestInfo = { op: classify(req.method ?? 'GET', key, q), method: req.method ?? 'GET', bucket, key, query: q, headers: req.headers }
    this.requests.push(info)
    this.onRequest?.(info)
    const lat = this.latency[info.op]
    if (lat !== undefined) await sleep(lat)
    const fault = this.#takeFault(info)
    if (fault?.delayMs !== undefined) await sleep(fault.delayMs)
    if (fault?.reset === true) { req.socket.destroy(); return }
    if (fault?.status !== undefined) {
      await drain(req)
      return error(res, fault.status, fault.code ?? 'InternalError', 'injected fault')
    }
    const objects = this.buckets.get(bucket)
    if (objects === undefined) { await drain(req); return error(res, 404, 'NoSuchBucket', bucket) }
    switch (info.op) {
      case 'CreateMultipartUpload': {
        const id = `upload-${this.#nextId++}`
        this.uploads.set(id, { key, bucket, initiated: new Date(), parts: new Map() })
        return xml(res, 200, `<InitiateMultipartUploadResult><Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`)
      }
      case 'UploadPart': {
        const up = this.uploads.get(q.get('uploadId') ?? '')
        const body = await readBody(req)
        if (up === undefined) return error(res, 404, 'NoSuchUpload', 'no such upload')
        const bad = checkMd5(req, body)
        if (bad) return error(res, 400, 'BadDigest', 'Content-MD5 mismatch')
        const etag = `"${md5hex(body)}"`
        up.parts.set(Number(q.get('partNumber')), { data: body, etag })
        res.writeHead(200, { ETag: etag, 'Content-Length': 0 }).end()
        return
      }
      case 'CompleteMultipartUpload': {
        const id = q.get('uploadId') ?? ''
        const up = this.uploads.get(id)
        const body = (await readBody(req)).toString()
        if (up === undefined) return error(res, 404, 'NoSuchUpload', 'no such upload')
        const listed = [...body.matchAll(/<Part>[\s\S]*?<ETag>([^<]*)<\/ETag>[\s\S]*?<PartNumber>(\d+)<\/PartNumber>[\s\S]*?<\/Part>|<Part>[\s\S]*?<PartNumber>(\d+)<\/PartNumber>[\s\S]*?<ETag>([^<]*)<\/ETag>[\s\S]*?<\/Part>/g)]
          .map((m) => ({ n: Number(m[2] ?? m[3]), etag: unesc(m[1] ?? m[4]) }))
        const chunks: Buffer[] = []
        const md5s: Buffer[] = []
        let prev = 0
        for (const p of listed) {
          const part = up.parts.get(p.n)
          if (part === undefined || part.etag !== p.etag) return error(res, 400, 'InvalidPart', `part ${p.n}`)
          if (p.n <= prev) return error(res, 400, 'InvalidPartOrder', `part ${p.n}`)
          prev = p.n
          chunks.push(part.data)
          md5s.push(Buffer.from(part.etag.replace(/"/g, ''), 'hex'))
        }
        for (let i = 0; i < chunks.length - 1; i++) {
          if (chunks[i].length < this.minPartSize) return error(res, 400, 'EntityTooSmall', `part ${listed[i].n}`)
        }
        const etag = `"${md5hex(Buffer.concat(md5s))}-${listed.length}"`
        objects.set(key, { data: Buffer.concat(chunks), etag, lastModified: new Date() })
        this.uploads.delete(id)
        return xml(res, 200, `<CompleteMultipartUploadResult><Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key><ETag>${esc(etag)}</ETag></CompleteMultipartUploadResult>`)
      }
      case 'AbortMultipartUpload': {
        const id = q.get('uploadId') ?? ''
        if (!this.uploads.delete(id)) return error(res, 404, 'NoSuchUpload', 'no such upload')
        res.writeHead(204).end()
        return
      }
      case 'ListMultipartUploads': {
        const ups = [...this.uploads.entries()].filter(([, u]) => u.bucket === bucket)
          .map(([id, u]) => `<Upload><Key>${esc(u.key)}</Key><UploadId>${id}</UploadId><Initiated>${u.initiated.toISOString()}</Initiated></Upload>`)
        return xml(res, 200, `<ListMultipartUploadsResult><Bucket>${esc(bucket)}</Bucket><IsTruncated>false</IsTruncated>${ups.join('')}</ListMultipartUploadsResult>`)
      }
      case 'ListParts': {
        const up = this.uploads.get(q.get('uploadId') ?? '')
        if (up === undefined) return error(res, 404, 'NoSuchUpload', 'no such upload')
        const parts = [...up.parts.entries()].sort((a, b) => a[0] - b[0])
          .map(([n, p]) => `<Part><PartNumber>${n}</PartNumber><ETag>${esc(p.etag)}</ETag><Size>${p.data.length}</Size></Part>`)
        return xml(res, 200, `<ListPartsResult><Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key><UploadId>${q.get('uploadId') ?? ''}</UploadId><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>`)
      }
      case 'PutObject': {
        const body = await readBody(req)
        if (checkMd5(req, body)) return error(res, 400, 'BadDigest', 'Content-MD5 mismatch')
        this.put(bucket, key, body)
        res.writeHead(200, { ETag: objects.get(key)!.etag, 'Content-Length': 0 }).end()
        return
      }
      case 'DeleteObject':
        objects.delete(key)
        res.writeHead(204).end()
        return
      case 'HeadObject':
      case 'GetObject': {
        const o = objects.get(key)
        if (o === undefined) {
          if (info.op === 'HeadObject') { res.writeHead(404).end(); return }
          return error(res, 404, 'NoSuchKey', key)
        }
        const ifMatch = req.headers['if-match']
        if (ifMatch !== undefined && ifMatch !== o.etag) {
          if (info.op === 'HeadObject') { res.writeHead(412).end(); return }
          return error(res, 412, 'PreconditionFailed', 'If-Match')
        }
        const headers: Record<string, string | number> = { ETag: o.etag, 'Last-Modified': o.lastModified.toUTCString(), 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' }
        if (info.op === 'HeadObject') { res.writeHead(200, { ...headers, 'Content-Length': o.data.length }).end(); return }
        let start = 0
        let end = o.data.length - 1
        let status = 200
        const range = req.headers.range
        if (range !== undefined) {
          const m = /^bytes=(\d*)-(\d*)$/.exec(range)
          if (m === null) return error(res, 400, 'InvalidArgument', `bad range ${range}`)
          if (m[1] === '') { start = Math.max(0, o.data.length - Number(m[2])) } else {
            start = Number(m[1])
            if (m[2] !== '') end = Math.min(end, Number(m[2]))
          }
          if (start >= o.data.length || start > end) return error(res, 416, 'InvalidRange', range)
          status = 206
          headers['Content-Range'] = `bytes ${start}-${end}/${o.data.length}`
        }
        const body = o.data.subarray(start, end + 1)
        res.writeHead(status, { ...headers, 'Content-Length': body.length })
        if (fault?.dropAfter !== undefined) {
          res.write(body.subarray(0, Math.min(fault.dropAfter, body.length)), () => {
            setTimeout(() => res.socket?.destroy(), 20)
          })
          return
        }
        res.end(body)
        return
      }
      case 'ListObjectsV2': {
        const prefix = q.get('prefix') ?? ''
        const max = Math.min(1000, Number(q.get('max-keys') ?? 1000))
        const token = q.get('continuation-token')
        const after = token === null ? '' : Buffer.from(token, 'base64url').toString()
        const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && (token === null || k > after)).sort()
        const page = keys.slice(0, max)
        const truncated = keys.length > max
        const contents = page.map((k) => {
          const o = objects.get(k)!
          return `<Contents><Key>${esc(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${esc(o.etag)}</ETag><Size>${o.data.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`
        })
        const next = truncated ? `<NextContinuationToken>${Buffer.from(page[page.length - 1]).toString('base64url')}</NextContinuationToken>` : ''
        return xml(res, 200, `<ListBucketResult><Name>${esc(bucket)}</Name><Prefix>${esc(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${String(truncated)}</IsTruncated>${next}${contents.join('')}</ListBucketResult>`)
      }
      default:
        await drain(req)
        return error(res, 501, 'NotImplemented', `${info.method} ${req.url ?? ''}`)
    }
  }

  #takeFault (r: RequestInfo): Fault | undefined {
    for (let i = 0; i < this.faults.length; i++) {
      const f = this.faults[i]
      if ((f.op === '*' || f.op === r.op) && (f.when === undefined || f.when(r))) {
        const left = (f.times ?? 1) - 1
        if (left <= 0) this.faults.splice(i, 1)
        else f.times = left
        return f
      }
    }
    return undefined
  }
}

function classify (method: string, key: string, q: URLSearchParams): Op {
  if (key === '') {
    if (method === 'GET' && q.has('uploads')) return 'ListMultipartUploads'
    if (method === 'GET') return 'ListObjectsV2'
    return 'Unknown'
  }
  switch (method) {
    case 'POST': return q.has('uploads') ? 'CreateMultipartUpload' : q.has('uploadId') ? 'CompleteMultipartUpload' : 'Unknown'
    case 'PUT': return q.has('uploadId') ? 'UploadPart' : 'PutObject'
    case 'DELETE': return q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject'
    case 'GET': return q.has('uploadId') ? 'ListParts' : 'GetObject'
    case 'HEAD': return 'HeadObject'
    default: return 'Unknown'
  }
}

function md5hex (b: Buffer): string { return createHash('md5').update(b).digest('hex') }

function checkMd5 (req: IncomingMessage, body: Buffer): boolean {
  const want = req.headers['content-md5']
  return want !== undefined && want !== createHash('md5').update(body).digest('base64')
}

async function readBody (req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  const body = Buffer.concat(chunks)
  const enc = String(req.headers['content-encoding'] ?? '')
  return enc.includes('aws-chunked') ? decodeAwsChunked(body) : body
}

/** aws-chunked: `hex-size[;chunk-signature=...]\r\n data \r\n` ... `0\r\n` trailers. */
function decodeAwsChunked (b: Buffer): Buffer {
  const out: Buffer[] = []
  let i = 0
  for (;;) {
    const nl = b.indexOf('\r\n', i)
    const size = parseInt(b.subarray(i, nl).toString().split(';')[0], 16)
    if (size === 0) break
    out.push(b.subarray(nl + 2, nl + 2 + size))
    i = nl + 2 + size + 2
  }
  return Buffer.concat(out)
}

async function drain (req: IncomingMessage): Promise<void> {
  for await (const _ of req) { /* discard */ }
}

function esc (s: string): string { return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;') }
function unesc (s: string): string { return s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&') }

function xml (res: ServerResponse, status: number, body: string): void {
  const b = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`)
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': b.length }).end(b)
}

function error (res: ServerResponse, status: number, code: string, message: string): void {
  xml(res, status, `<Error><Code>${code}</Code><Message>${esc(message)}</Message><RequestId>fake</RequestId></Error>`)
}

async function sleep (ms: number): Promise<void> { await new Promise((resolve) => setTimeout(resolve, ms)) }

export async function startFakeS3 (buckets: string[] = ['bucket']): Promise<FakeS3> {
  return await new FakeS3(buckets).start()
}
