// GET /ready: 200 with every check when the process may take traffic, 503 with the reasons when
// it may not (a dependency is down, or the process is shutting down). Never cached.
import type { FastifyInstance } from 'fastify';
import type { Readiness } from './readiness.js';

export function readyRoute(readiness: Readiness): (app: FastifyInstance) => void {
  return (app) => {
    app.get('/ready', async (_request, reply) => {
      const report = await readiness.run();
      return reply
        .code(report.status === 'ready' ? 200 : 503)
        .header('cache-control', 'no-store')
        .send(report);
    });
  };
}
