// Lets a route's paced writes stop the moment the response closes (client abort or a `drop`
// fault): waits end early and `isClosed()` turns true.
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

export type CloseWatcher = { isClosed(): boolean; sleepUntil(at: number): Promise<void> };

/** Tracks the response's close (client abort or a `drop` fault) and makes waits end at once on it. */
export function closeWatcher(res: ServerResponse): CloseWatcher {
  let closed = res.destroyed;
  const wakers = new Set<() => void>();
  res.on('close', () => {
    closed = true;
    for (const wake of wakers) wake();
  });
  return {
    isClosed: () => closed || res.destroyed,
    sleepUntil(at: number): Promise<void> {
      const wait = at - performance.now();
      if (wait <= 0 || closed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          wakers.delete(done);
          resolve();
        };
        const timer = setTimeout(done, wait);
        wakers.add(done);
      });
    },
  };
}
