/**
 * Kafka's compression codecs for kafkajs, which ships gzip only and throws
 * "ZSTD compression not implemented" (or the like) on the first snappy, lz4
 * or zstd batch. Registered once, before the first client is made; each
 * codec's library is loaded on the first batch that needs it, so a plain
 * topic costs nothing.
 *
 * - snappy: kafkajs-snappy (pure JavaScript, snappyjs; reads Kafka's xerial framing and raw blocks)
 * - lz4: lz4-napi (N-API, lz4_flex), the LZ4 frame format Kafka uses since message format v1
 * - zstd: @mongodb-js/zstd 1.x (N-API, libzstd)
 *
 * The N-API packages ship their binaries inside the npm packages of each
 * platform, so nothing is compiled or downloaded at install time, and one
 * lockfile serves every Node version.
 */
import kafkajs from 'kafkajs';

// kafkajs is CommonJS, and Node's loader cannot see these two among its named exports.
const { CompressionCodecs, CompressionTypes } = kafkajs;

/** The codec names of the command line and of Kafka's `compression.type`. */
export const CODEC_TYPES = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
} as const;

interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

let snappy: Promise<Codec> | undefined;
const snappyCodec = (): Promise<Codec> => (snappy ??= import('kafkajs-snappy').then((module) => module.default()));

const lz4 = () => import('lz4-napi');
const zstd = () => import('@mongodb-js/zstd');

const CODECS: Record<'snappy' | 'lz4' | 'zstd', () => Codec> = {
  snappy: () => ({
    compress: async (encoder) => (await snappyCodec()).compress(encoder),
    decompress: async (buffer) => (await snappyCodec()).decompress(buffer),
  }),
  lz4: () => ({
    // Independent blocks, no content size: the frame Kafka's Java client and librdkafka write and read.
    compress: async (encoder) => (await lz4()).compressFrame(encoder.buffer),
    decompress: async (buffer) => (await lz4()).decompressFrame(buffer),
  }),
  zstd: () => ({
    compress: async (encoder) => (await zstd()).compress(encoder.buffer, 3),
    decompress: async (buffer) => (await zstd()).decompress(buffer),
  }),
};

let registered = false;

/** Makes kafkajs read and write snappy, lz4 and zstd batches (gzip is its own). Idempotent. */
export function registerCodecs(): void {
  if (registered) return;
  registered = true;
  CompressionCodecs[CompressionTypes.Snappy] = CODECS.snappy;
  CompressionCodecs[CompressionTypes.LZ4] = CODECS.lz4;
  CompressionCodecs[CompressionTypes.ZSTD] = CODECS.zstd;
}
