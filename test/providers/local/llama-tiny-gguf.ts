// Writes a tiny but valid GGUF (v3) llama model with random weights, so the llama.cpp loading and
// generation path can run for real on a machine that has no model. Layout per the GGUF spec: header,
// metadata key/values, tensor infos, then tensor data aligned to `general.alignment` (32).
// The vocabulary is SentencePiece-style (`tokenizer.ggml.model = llama`): <unk> <s> </s>, the 256
// byte tokens (byte fallback, so any text tokenizes), then a few word pieces. Only the word pieces
// get output weights, so greedy decoding emits words and never an end-of-generation token: a reply
// runs until maxTokens or an abort.
import { writeFileSync } from 'node:fs';
import { mulberry32 } from '../../helpers/random.js';

export type TinyLlamaShape = {
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nFf: number;
  contextLength: number;
};

export const SMALL_SHAPE: TinyLlamaShape = { nEmbd: 64, nLayer: 1, nHead: 4, nFf: 128, contextLength: 2048 };

export const TINY_WORDS = ['hello', 'world', 'the', 'cat', 'sat', 'on', 'mat', 'red', 'blue', 'green', 'sun', 'moon', 'river', 'stone', 'tree', 'bird', 'quiet', 'fast', 'slow', 'open', 'door', 'light', 'dark', 'warm'];

const enum GgufType {
  Uint32 = 4,
  Int32 = 5,
  Float32 = 6,
  String = 8,
  Array = 9,
}

const enum TokenType {
  Normal = 1,
  Unknown = 2,
  Control = 3,
  Byte = 6,
}

const ALIGNMENT = 32;
const GGML_TYPE_F32 = 0;

type Value =
  | { type: GgufType.Uint32 | GgufType.Int32 | GgufType.Float32; value: number }
  | { type: GgufType.String; value: string }
  | { type: GgufType.Array; items: GgufType.String; value: string[] }
  | { type: GgufType.Array; items: GgufType.Float32 | GgufType.Int32; value: number[] };

type Tensor = { name: string; dims: number[]; data: Float32Array };

class ByteWriter {
  private chunks: Buffer[] = [];
  length = 0;

  private push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }

  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }

  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }

  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }

  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }

  str(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u64(bytes.length);
    this.push(bytes);
  }

  raw(b: Buffer): void {
    this.push(b);
  }

  padTo(alignment: number): void {
    const pad = (alignment - (this.length % alignment)) % alignment;
    if (pad) this.push(Buffer.alloc(pad));
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function writeValue(w: ByteWriter, v: Value): void {
  w.u32(v.type);
  switch (v.type) {
    case GgufType.Uint32:
      return w.u32(v.value);
    case GgufType.Int32:
      return w.i32(v.value);
    case GgufType.Float32:
      return w.f32(v.value);
    case GgufType.String:
      return w.str(v.value);
    case GgufType.Array:
      w.u32(v.items);
      w.u64(v.value.length);
      if (v.items === GgufType.String) for (const s of v.value as string[]) w.str(s);
      else if (v.items === GgufType.Float32) for (const n of v.value as number[]) w.f32(n);
      else for (const n of v.value as number[]) w.i32(n);
  }
}

function vocabulary(): { tokens: string[]; scores: number[]; types: number[]; wordIds: number[] } {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [TokenType.Unknown, TokenType.Control, TokenType.Control];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(TokenType.Byte);
  }
  // SentencePiece merges pair by pair, each merge must itself be a token: so every prefix of
  // "▁word" is in the vocabulary, and only whole words get output weights.
  const wordIds: number[] = [];
  const index = new Map<string, number>();
  for (const word of TINY_WORDS) {
    const piece = `\u2581${word}`;
    for (let end = 1; end <= piece.length; end++) {
      const prefix = piece.slice(0, end);
      if (!index.has(prefix)) {
        index.set(prefix, tokens.length);
        tokens.push(prefix);
        types.push(TokenType.Normal);
      }
    }
    for (const ch of word) {
      if (!index.has(ch)) {
        index.set(ch, tokens.length);
        tokens.push(ch);
        types.push(TokenType.Normal);
      }
    }
    wordIds.push(index.get(piece) as number);
  }
  // Longer pieces score higher, so merges prefer whole words.
  const scores = tokens.map((t, i) => (types[i] === TokenType.Normal ? t.length : 0));
  return { tokens, scores, types, wordIds };
}

/** Builds the GGUF bytes; the same seed gives the same file. */
export function tinyLlamaGguf(shape: TinyLlamaShape = SMALL_SHAPE, seed = 1): Buffer {
  const { nEmbd, nLayer, nHead, nFf, contextLength } = shape;
  const vocab = vocabulary();
  const nVocab = vocab.tokens.length;
  const random = mulberry32(seed);
  const randomMatrix = (rows: number, cols: number, scale: number) => {
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < data.length; i++) data[i] = (random() * 2 - 1) * scale;
    return data;
  };
  const ones = (n: number) => new Float32Array(n).fill(1);
  const s = 1 / Math.sqrt(nEmbd);

  const output = new Float32Array(nVocab * nEmbd);
  const wordWeights = randomMatrix(vocab.wordIds.length, nEmbd, 1);
  vocab.wordIds.forEach((id, k) => output.set(wordWeights.subarray(k * nEmbd, (k + 1) * nEmbd), id * nEmbd));

  // GGUF dims are ggml's ne: the first is the row length (innermost).
  const tensors: Tensor[] = [
    { name: 'token_embd.weight', dims: [nEmbd, nVocab], data: randomMatrix(nVocab, nEmbd, 1) },
    { name: 'output_norm.weight', dims: [nEmbd], data: ones(nEmbd) },
    { name: 'output.weight', dims: [nEmbd, nVocab], data: output },
  ];
  for (let l = 0; l < nLayer; l++) {
    const p = `blk.${l}.`;
    tensors.push(
      { name: `${p}attn_norm.weight`, dims: [nEmbd], data: ones(nEmbd) },
      { name: `${p}attn_q.weight`, dims: [nEmbd, nEmbd], data: randomMatrix(nEmbd, nEmbd, s) },
      { name: `${p}attn_k.weight`, dims: [nEmbd, nEmbd], data: randomMatrix(nEmbd, nEmbd, s) },
      { name: `${p}attn_v.weight`, dims: [nEmbd, nEmbd], data: randomMatrix(nEmbd, nEmbd, s) },
      { name: `${p}attn_output.weight`, dims: [nEmbd, nEmbd], data: randomMatrix(nEmbd, nEmbd, s) },
      { name: `${p}ffn_norm.weight`, dims: [nEmbd], data: ones(nEmbd) },
      { name: `${p}ffn_gate.weight`, dims: [nEmbd, nFf], data: randomMatrix(nFf, nEmbd, s) },
      { name: `${p}ffn_up.weight`, dims: [nEmbd, nFf], data: randomMatrix(nFf, nEmbd, s) },
      { name: `${p}ffn_down.weight`, dims: [nFf, nEmbd], data: randomMatrix(nEmbd, nFf, 1 / Math.sqrt(nFf)) },
    );
  }

  const metadata: [string, Value][] = [
    ['general.architecture', { type: GgufType.String, value: 'llama' }],
    ['general.name', { type: GgufType.String, value: 'parley-tiny-random' }],
    ['general.alignment', { type: GgufType.Uint32, value: ALIGNMENT }],
    ['llama.context_length', { type: GgufType.Uint32, value: contextLength }],
    ['llama.embedding_length', { type: GgufType.Uint32, value: nEmbd }],
    ['llama.block_count', { type: GgufType.Uint32, value: nLayer }],
    ['llama.feed_forward_length', { type: GgufType.Uint32, value: nFf }],
    ['llama.attention.head_count', { type: GgufType.Uint32, value: nHead }],
    ['llama.attention.head_count_kv', { type: GgufType.Uint32, value: nHead }],
    ['llama.rope.dimension_count', { type: GgufType.Uint32, value: nEmbd / nHead }],
    ['llama.attention.layer_norm_rms_epsilon', { type: GgufType.Float32, value: 1e-5 }],
    ['tokenizer.ggml.model', { type: GgufType.String, value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: GgufType.Array, items: GgufType.String, value: vocab.tokens }],
    ['tokenizer.ggml.scores', { type: GgufType.Array, items: GgufType.Float32, value: vocab.scores }],
    ['tokenizer.ggml.token_type', { type: GgufType.Array, items: GgufType.Int32, value: vocab.types }],
    ['tokenizer.ggml.unknown_token_id', { type: GgufType.Uint32, value: 0 }],
    ['tokenizer.ggml.bos_token_id', { type: GgufType.Uint32, value: 1 }],
    ['tokenizer.ggml.eos_token_id', { type: GgufType.Uint32, value: 2 }],
  ];

  const w = new ByteWriter();
  w.raw(Buffer.from('GGUF', 'ascii'));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(metadata.length);
  for (const [key, value] of metadata) {
    w.str(key);
    writeValue(w, value);
  }
  let offset = 0;
  for (const t of tensors) {
    w.str(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(GGML_TYPE_F32);
    w.u64(offset);
    offset += Math.ceil(t.data.byteLength / ALIGNMENT) * ALIGNMENT;
  }
  w.padTo(ALIGNMENT);
  for (const t of tensors) {
    w.raw(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    w.padTo(ALIGNMENT);
  }
  return w.toBuffer();
}

export function writeTinyLlamaGguf(path: string, shape?: TinyLlamaShape, seed?: number): string {
  writeFileSync(path, tinyLlamaGguf(shape, seed));
  return path;
}
