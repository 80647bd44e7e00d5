// `parley sim` runs every simulator on one port and prints how to point Parley at it.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('parley sim', () => {
  it('serves the vendor protocols on the printed port and refuses a wrong key as the vendor does', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'sim', '--port', '0', '--latency', 'llmTtftMs=5'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /on (http:\/\/[\d.]+:\d+)/.exec(out);
          if (m) resolve(m[1]);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      expect(out).toContain('DEEPGRAM_API_KEY=sim-deepgram-key');
      expect(out).toContain(`PARLEY__PROVIDERS__OPENAI__BASE_URL=${url}/v1`);
      const bad = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer wrong', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(bad.status).toBe(401);
      expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
      const good = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sim-openai-key', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(good.status).toBe(200);
      expect(((await good.json()) as { choices: Array<{ message: { content: string } }> }).choices[0].message.content).toContain('hi');
    } finally {
      child.kill('SIGTERM');
    }
  }, 30000);
});
