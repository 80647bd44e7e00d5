export { SimulatedStt, type SimulatedSttOptions } from './simulated-stt.js';
export { SimulatedLlm, echoingRespond, type LlmScriptStep, type SimulatedLlmOptions } from './simulated-llm.js';
export { SimulatedTts, type SimulatedTtsOptions } from './simulated-tts.js';
