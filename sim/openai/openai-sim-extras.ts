// OpenAI-only misbehaviour that the shared SimFault list has no word for. Kept per SimControl so
// parallel simulators do not share it.
import type { SimControl } from '../sim-control.js';

export type OpenAiSimExtras = {
  /**
   * How many of the next chat streams fail half-way with a mid-stream `data: {"error": …}` event
   * (what OpenAI sends when generation breaks after the 200), then end without `[DONE]`.
   */
  midStreamErrors: number;
};

const extras = new WeakMap<SimControl, OpenAiSimExtras>();

export function openAiSimExtras(control: SimControl): OpenAiSimExtras {
  let value = extras.get(control);
  if (!value) {
    value = { midStreamErrors: 0 };
    extras.set(control, value);
  }
  return value;
}
