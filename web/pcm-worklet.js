// AudioWorklet processors: microphone -> PCM16 frames, and agent PCM16 -> speakers through a
// flushable jitter buffer. Both run on the audio thread; the page talks to them over `port`.

/** Streaming linear interpolation from one rate to another; keeps one sample of history. */
class LinearResampler {
  constructor(fromRate, toRate) {
    this.step = fromRate / toRate;
    this.pos = 0; // read position in the current block; -1 is the previous block's last sample
    this.prev = 0;
  }

  /** Calls emit(sample) for every output sample that `input` completes. */
  process(input, emit) {
    const n = input.length;
    while (this.pos < n - 1) {
      const i = Math.floor(this.pos);
      const a = i < 0 ? this.prev : input[i];
      emit(a + (input[i + 1] - a) * (this.pos - i));
      this.pos += this.step;
    }
    this.pos -= n;
    this.prev = input[n - 1];
  }
}

const toInt16 = (x) => (x >= 1 ? 32767 : x <= -1 ? -32768 : Math.round(x * 32767));

/** Mic capture: Float32 at the context rate -> PCM16LE frames of 20 ms at `targetRate`. */
class PcmCaptureProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const targetRate = options.processorOptions.targetRate;
    this.frameSamples = Math.round(targetRate / 50);
    this.frame = new Int16Array(this.frameSamples);
    this.filled = 0;
    this.resampler = targetRate === sampleRate ? null : new LinearResampler(sampleRate, targetRate);
    // Two one-pole low-passes below the target Nyquist keep decimation from folding hiss back in.
    this.alpha = targetRate < sampleRate ? 1 - Math.exp((-2 * Math.PI * 0.45 * targetRate) / sampleRate) : 1;
    this.lp1 = 0;
    this.lp2 = 0;
    this.filtered = new Float32Array(128);
    this.push = (x) => {
      this.frame[this.filled++] = toInt16(x);
      if (this.filled === this.frameSamples) {
        this.port.postMessage(this.frame.buffer, [this.frame.buffer]);
        this.frame = new Int16Array(this.frameSamples);
        this.filled = 0;
      }
    };
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true;
    if (!this.resampler) {
      for (let i = 0; i < channel.length; i++) this.push(channel[i]);
      return true;
    }
    if (this.alpha === 1) {
      this.resampler.process(channel, this.push);
      return true;
    }
    if (this.filtered.length !== channel.length) this.filtered = new Float32Array(channel.length);
    for (let i = 0; i < channel.length; i++) {
      this.lp1 += this.alpha * (channel[i] - this.lp1);
      this.lp2 += this.alpha * (this.lp1 - this.lp2);
      this.filtered[i] = this.lp2;
    }
    this.resampler.process(this.filtered, this.push);
    return true;
  }
}

/**
 * Agent playback: PCM16 chunks (ArrayBuffer messages) at `sourceRate` into a ring buffer at the
 * context rate. Playback starts once `prebufferMs` is queued or has been waited for, and
 * re-buffers after an underrun. The message {type:'flush'} empties it at once (barge-in).
 */
class PcmPlaybackProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const { sourceRate, prebufferMs } = options.processorOptions;
    this.ring = new Float32Array(sampleRate * 30);
    this.read = 0;
    this.write = 0;
    this.playing = false;
    this.waited = 0;
    this.prebuffer = Math.round((sampleRate * prebufferMs) / 1000);
    this.resampler = sourceRate === sampleRate ? null : new LinearResampler(sourceRate, sampleRate);
    this.scratch = new Float32Array(0);
    this.enqueue = (x) => {
      this.ring[this.write % this.ring.length] = x;
      this.write++;
      // On overflow the oldest audio goes.
      if (this.write - this.read > this.ring.length) this.read = this.write - this.ring.length;
    };
    this.port.onmessage = (event) => {
      if (event.data instanceof ArrayBuffer) this.accept(new Int16Array(event.data));
      else if (event.data && event.data.type === 'flush') this.flush();
    };
  }

  accept(pcm) {
    if (this.scratch.length < pcm.length) this.scratch = new Float32Array(pcm.length);
    const samples = this.scratch.subarray(0, pcm.length);
    for (let i = 0; i < pcm.length; i++) samples[i] = pcm[i] / 32768;
    if (this.resampler) this.resampler.process(samples, this.enqueue);
    else for (let i = 0; i < samples.length; i++) this.enqueue(samples[i]);
  }

  flush() {
    this.read = this.write;
    this.playing = false;
    this.waited = 0;
  }

  process(_inputs, outputs) {
    const out = outputs[0][0];
    const queued = this.write - this.read;
    if (!this.playing && queued > 0) {
      // A reply shorter than the prebuffer would never start: wait at most that long.
      this.waited += out.length;
      if (queued >= this.prebuffer || this.waited >= this.prebuffer) this.playing = true;
    }
    if (this.playing) {
      const n = Math.min(queued, out.length);
      for (let i = 0; i < n; i++) out[i] = this.ring[(this.read + i) % this.ring.length];
      out.fill(0, n);
      this.read += n;
      if (this.read === this.write) {
        this.playing = false;
        this.waited = 0;
      }
    } else {
      out.fill(0);
    }
    for (let c = 1; c < outputs[0].length; c++) outputs[0][c].set(out);
    return true;
  }
}

registerProcessor('pcm-capture', PcmCaptureProcessor);
registerProcessor('pcm-playback', PcmPlaybackProcessor);
