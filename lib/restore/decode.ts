// Bytes -> tokens for one source: [decrypt] -> [decompress] -> auto-detected
// .asb or NDJSON decoder (the same stage order asrestore uses: decryption,
// then decompression, then the decoder).
import { pipeline } from 'node:stream'
import type { Readable, Transform } from 'node:stream'
import { createAsbDecoder } from '../asb/decode.js'
import { createZstdDecompress } from '../compress/zstd.js'
import { createDecryptStream } from '../crypto/stream.js'
import type { KeyMaterial } from '../crypto/key.js'
import { sniffFormat } from '../format.js'
import { createNdjsonDecoder } from '../ndjson/decode.js'
import type { Token } from '../types.js'
import type { DecodeFn } from './restore.js'

export interface DecodeOptions {
  compress?: 'zstd'
  encrypt?: { mode: 'aes128' | 'aes256', key: KeyMaterial }
}

export function createDecodeFn (opts: DecodeOptions = {}): DecodeFn {
  return (input: Readable, file: string): AsyncIterable<Token> => ({
    // the decoder's own iterator is handed out directly: no generator layer per token
    [Symbol.asyncIterator]: () => {
      let inner: AsyncIterator<Token> | null = null
      const open = async (): Promise<AsyncIterator<Token>> => {
        let bytes: Readable = input
        const stages: Array<Readable | Transform> = [input]
        if (opts.encrypt !== undefined) stages.push(createDecryptStream({ mode: opts.encrypt.mode, key: opts.encrypt.key, file }))
        if (opts.compress === 'zstd') stages.push(createZstdDecompress({ file }))
        if (stages.length > 1) {
          bytes = stages[stages.length - 1] as Readable
          pipeline(stages as unknown as [Readable, Transform], () => {})
        }
        const { format, stream } = await sniffFormat(bytes)
        const decoder = format === 'asb' ? createAsbDecoder({ file }) : createNdjsonDecoder({ file })
        pipeline(stream, decoder, () => {})
        return (decoder as AsyncIterable<Token>)[Symbol.asyncIterator]()
      }
      return {
        next: async () => {
          inner ??= await open()
          return await inner.next()
        },
        return: async () => {
          if (inner?.return !== undefined) return await inner.return()
          input.destroy()
          return { done: true, value: undefined }
        }
      }
    }
  })
}
