// GET /v1/calls/:id/recording: the call's WAV file, streamed, with Content-Length and single
// byte ranges (206) so players can seek. `no_recording` (404) when the call has none or the file is gone.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ApiError, notFound } from '../api-error.js';
import { parseByteRange } from './byte-range.js';
import { commonErrors, errorDoc } from './doc-schemas.js';
import { defineRoute } from './route-spec.js';
import type { V1Deps } from './v1-deps.js';

const noRecording = () => new ApiError(404, 'no_recording', 'this call has no recording');

async function fileSize(path: string): Promise<number | null> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : null;
  } catch {
    return null;
  }
}

export function registerRecordingRoute(v1: FastifyInstance, deps: V1Deps): void {
  defineRoute(v1, {
    method: 'GET',
    url: '/calls/:id/recording',
    summary: "Download a call's recording (audio/wav, byte ranges supported)",
    tags: ['calls'],
    access: 'calls:read',
    params: z.object({ id: z.string().min(1).max(200) }),
    responses: {
      200: { description: 'the recording', contentType: 'audio/wav' },
      206: { description: 'part of the recording (Range)', contentType: 'audio/wav' },
      404: { description: 'no such call (not_found), or it has no recording (no_recording)', schema: errorDoc },
      416: { description: 'the range is outside the file', schema: errorDoc },
      ...commonErrors,
    },
    async handler({ request, reply, params, principal }) {
      const call = await deps.repository.getCallRow(principal.tenantId, params.id);
      if (!call) throw notFound('call');
      if (!call.recordingPath) throw noRecording();
      const size = await fileSize(call.recordingPath);
      if (size === null) throw noRecording();
      const range = parseByteRange(request.headers.range, size);
      reply.header('content-type', 'audio/wav').header('accept-ranges', 'bytes').header('content-disposition', `inline; filename="${call.id.replace(/[^A-Za-z0-9_.-]/g, '_')}.wav"`);
      if (range === 'unsatisfiable') {
        reply.header('content-range', `bytes */${size}`);
        throw new ApiError(416, 'range_not_satisfiable', `the recording has ${size} bytes`);
      }
      if (range === null) {
        reply.header('content-length', size);
        return reply.send(createReadStream(call.recordingPath));
      }
      reply.status(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`).header('content-length', range.end - range.start + 1);
      return reply.send(createReadStream(call.recordingPath, { start: range.start, end: range.end }));
    },
  });
}
