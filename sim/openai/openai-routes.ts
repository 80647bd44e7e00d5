// The OpenAI-compatible endpoints: chat completions (OpenAI, Ollama, Groq or vLLM flavour, chosen
// by SimControl.openAiDialect) and audio transcriptions.
import type { SimRoute } from '../sim-server.js';
import { handleChatCompletions } from './chat-completions.js';
import { authorizeOpenAi, openAiErrorResponse } from './openai-errors.js';
import { handleTranscription } from './transcriptions.js';

export function openAiRoutes(): SimRoute[] {
  const route = (path: string, http: NonNullable<SimRoute['http']>): SimRoute => ({
    vendor: 'openai',
    match: (p, method, isUpgrade) => !isUpgrade && method === 'POST' && p === path,
    errorResponse: openAiErrorResponse,
    authorize: (req, _url, control) => authorizeOpenAi(req, control),
    http,
  });
  return [route('/v1/chat/completions', handleChatCompletions), route('/v1/audio/transcriptions', handleTranscription)];
}
