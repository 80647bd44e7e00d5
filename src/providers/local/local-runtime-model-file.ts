// The checks a user-supplied model path gets before a runtime sees it, so the common mistakes
// (variable not set, wrong path, a folder, an unreadable or empty file) get a message that says
// which variable to fix, instead of whatever the native loader prints.
import { accessSync, constants, statSync } from 'node:fs';

export class LocalModelError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalModelError';
  }
}

export type ModelFileSpec = {
  /** Engine name for messages, e.g. `whisper`. */
  engine: string;
  /** The environment variable that sets the path, e.g. `WHISPER_MODEL_PATH`. */
  envVar: string;
  /** What file is expected, e.g. `a whisper.cpp ggml model (ggml-base.en.bin)`. */
  expected: string;
};

/** Returns the path when it names a readable, non-empty file; throws LocalModelError otherwise. */
export function checkModelFile(path: string | undefined, spec: ModelFileSpec): string {
  if (path === undefined || path.trim() === '') {
    throw new LocalModelError(`${spec.engine}: no model file given: set ${spec.envVar} to the path of ${spec.expected}`);
  }
  let size: number;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new LocalModelError(`${spec.engine}: ${spec.envVar}=${path} is a directory; it must name ${spec.expected}`);
    size = stat.size;
    accessSync(path, constants.R_OK);
  } catch (err) {
    if (err instanceof LocalModelError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : `cannot be read (${(err as Error).message})`;
    throw new LocalModelError(`${spec.engine}: the model file ${path} (${spec.envVar}) ${why}; it must name ${spec.expected}`, { cause: err });
  }
  if (size === 0) throw new LocalModelError(`${spec.engine}: the model file ${path} (${spec.envVar}) is empty; it must be ${spec.expected}`);
  return path;
}

/** A native loader's message made safe for one log line: control bytes (from a file's magic) escaped, no trailing period. */
export function printableReason(message: string): string {
  let out = '';
  for (const c of message) {
    const code = c.charCodeAt(0);
    out += code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : c;
  }
  return out.replace(/\.+$/, '');
}
