// OpenAI and OpenAI-compatible adapters (Ollama, vLLM, Groq via OpenAiLlm's baseUrl and name).
export { OpenAiLlm, type OpenAiLlmOptions } from './openai-llm.js';
export { OpenAiTranscriber, type OpenAiTranscriberOptions } from './openai-transcriber.js';
