// zstd constants shared by the compressor, the decompressor and the frame
// walker. Frame layout: RFC 8878 §3.1 (Zstandard frames, skippable frames).

/** Frame magic 0xFD2FB528, little-endian on the wire: 28 b5 2f fd. */
export const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd])
/** Skippable frames: magic 0x184D2A50..0x184D2A5F (little-endian 5? 2a 4d 18). */
export const ZSTD_SKIPPABLE_MIN = 0x184d2a50
export const ZSTD_SKIPPABLE_MASK = 0xfffffff0

/** asbackup's `--compression-level` default 0 means ZSTD_CLEVEL_DEFAULT, which is 3 (§3). */
export const ZSTD_DEFAULT_LEVEL = 3
export const ZSTD_MIN_LEVEL = 1
export const ZSTD_MAX_LEVEL = 22

/**
 * zstd worker threads for compression (ZSTD_c_nbWorkers). 1, like the zstd
 * CLI's default: libzstd compresses on its own thread while ours reads,
 * writes and runs the rest of the pipeline (257 MiB at level 3: 2.5 s -> 2.0 s
 * wall, the CLI's figure). 0 compresses on the calling thread, as asbackup
 * does; more workers use more cores. The frames are standard either way.
 * Memory grows with workers (job buffers), not with the input.
 */
export const ZSTD_DEFAULT_WORKERS = 1
/** ZSTDMT_NBWORKERS_MAX is 200 on 64-bit; more than a few never helps a pipeline. */
export const ZSTD_MAX_WORKERS = 64

/**
 * Size of each output buffer we hand to ZSTD_compressStream2 /
 * ZSTD_decompressStream (a bit over one 128 KiB block, like
 * ZSTD_DStreamOutSize). At most a few of these are alive at a time.
 */
export const ZSTD_OUT_BUFFER = 128 * 1024

/**
 * Output buffer of the decompressor. Each filled buffer is one push() and
 * one write() downstream, whose fixed cost showed at 128 KiB (2,000+ writes
 * for 257 MiB of .asb; 514 now). With the 128 KiB readable high-water mark
 * at most about two are alive; the 2 GiB test stays well under 100 MB.
 */
export const ZSTD_DECOMPRESS_OUT_BUFFER = 512 * 1024

/**
 * Largest window the decompressor accepts (2^27 = 128 MiB, zstd's default
 * ZSTD_WINDOWLOG_LIMIT_DEFAULT). asbackup never sets a window, so its frames
 * use at most 8 MiB at level 22 and 2 MiB at the default level.
 */
export const ZSTD_WINDOW_LOG_MAX = 27

/** Stream buffering on both sides of our Transforms (bytes). */
export const STREAM_HIGH_WATER_MARK = 128 * 1024
