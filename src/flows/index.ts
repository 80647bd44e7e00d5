// Conversation flows: the offline "brain" (a graph of nodes in YAML/JSON, run as an LlmProvider)
// and the offline understanding it uses (fuzzy intents and slot extractors).
export { loadFlow, loadFlowSync, parseFlow, type LoadFlowOptions } from './flow-loader.js';
export { FlowLlm, type FlowLlmOptions, type FlowInspection } from './flow-llm.js';
export { FlowEngine, type FlowOutput, type FlowSnapshot, type FlowTraceEvent, type Listener, type Understood } from './flow-engine.js';
export type { Heard } from './flow-understand.js';
export { FlowValidationError, formatIssue, type FlowIssue } from './flow-errors.js';
export { BACK, BUILTIN_INTENTS, type Flow, type FlowAction, type FlowListen, type FlowNode, type Transition } from './flow-types.js';
export { flowFileSchema, type FlowFile } from './flow-schema.js';
export { spokenValue, spokenDate, spokenTime } from './spoken-values.js';
export { flowVocabulary } from './flow-vocabulary.js';
export * from './understanding/index.js';
