// A Transform around a plain push-style codec: write(chunk, push) for each
// chunk, end(push) at the end; a throw becomes the stream's error. The .asb
// and NDJSON decoders and the NDJSON header gate are plain objects (lib/convert
// drives them directly); this is their stream form. Backpressure is the
// Transform's own: a chunk is handled only when the readable side asks for more.
import { Transform } from 'node:stream'
import type { TransformCallback, TransformOptions } from 'node:stream'

export interface PushCodec<In, Out> {
  write: (chunk: In, push: (out: Out) => void) => void
  end: (push: (out: Out) => void) => void
}

export function pushTransform<In, Out> (codec: PushCodec<In, Out>, opts: TransformOptions): Transform {
  let self: Transform
  const push = (out: Out): void => { self.push(out) }
  self = new Transform({
    ...opts,
    transform (chunk: In, _enc: BufferEncoding, cb: TransformCallback): void {
      try {
        codec.write(chunk, push)
      } catch (err) {
        cb(err as Error)
        return
      }
      cb()
    },
    flush (cb: TransformCallback): void {
      try {
        codec.end(push)
      } catch (err) {
        cb(err as Error)
        return
      }
      cb()
    }
  })
  return self
}
