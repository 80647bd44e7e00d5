// `parley sim`: runs every vendor simulator on one loopback port and prints how to point Parley (or
// any vendor SDK) at it.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { startSimServer } from './sim-server.js';
import { VENDORS, type SimLatencies } from './sim-control.js';
import { twilioSim } from './twilio/twilio-sim.js';

const USAGE = `usage: parley sim [--port 9100] [--host 127.0.0.1] [--script FILE] [--latency key=ms ...]
  --script FILE     one line per utterance the simulated recognizers "hear"
  --latency k=v     e.g. llmTtftMs=300 ttsTtfbMs=150 sttFinalDelayMs=100 (see sim/sim-control.ts)`;

export async function runSimCli(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '9100' },
      host: { type: 'string', default: '127.0.0.1' },
      script: { type: 'string' },
      latency: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535, got ${values.port}`);
  const script = values.script
    ? readFileSync(values.script, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
    : ['Hello there.', 'What can you do?', 'What time is it?', 'Thank you, goodbye.'];
  const latencies: Partial<SimLatencies> = {};
  for (const pair of values.latency ?? []) {
    const [key, value] = pair.split('=');
    const n = Number(value);
    if (!key || !Number.isFinite(n) || n < 0) throw new Error(`--latency wants key=number, got ${pair}`);
    (latencies as Record<string, number>)[key] = n;
  }
  const sim = await startSimServer({ host: values.host, port, script, latencies });
  const { keys } = sim.control;
  const http = `http://${values.host}:${sim.port}`;
  const ws = `ws://${values.host}:${sim.port}`;
  console.log(`Parley vendor simulators on ${http} (${VENDORS.join(', ')})
To run Parley against them:
  DEEPGRAM_API_KEY=${keys.deepgram} OPENAI_API_KEY=${keys.openai} ELEVENLABS_API_KEY=${keys.elevenlabs} CARTESIA_API_KEY=${keys.cartesia} \\
  PARLEY__PROVIDERS__STT=deepgram PARLEY__PROVIDERS__LLM=openai PARLEY__PROVIDERS__TTS=elevenlabs \\
  PARLEY__PROVIDERS__DEEPGRAM__BASE_URL=${http} PARLEY__PROVIDERS__OPENAI__BASE_URL=${http}/v1 \\
  PARLEY__PROVIDERS__ELEVENLABS__BASE_URL=${ws} PARLEY__PROVIDERS__CARTESIA__BASE_URL=${ws} npm start
Twilio calls (REST on this port; the simulated calls fetch TwiML from, and stream to, PARLEY_PUBLIC_URL):
  TWILIO_ACCOUNT_SID=${twilioSim(sim.control).accountSid} TWILIO_AUTH_TOKEN=${keys.twilio} TWILIO_API_BASE_URL=${http}`);
  const stop = () => void sim.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
