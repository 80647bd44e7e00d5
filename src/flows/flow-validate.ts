// Turns a schema-checked flow file into a Flow, checking the graph: every transition names a
// node, every node is reachable, every slot used is declared and filled somewhere, every tool is
// known, every intent has examples. All problems are collected, not just the first.
import { BACK, BUILTIN_INTENTS, type Flow, type FlowAction, type FlowDigits, type FlowListen, type FlowNode, type Transition } from './flow-types.js';
import { closest, FlowValidationError, locate, type FlowIssue } from './flow-errors.js';
import { DEFAULT_PROMPTS, type FlowFile, type FlowFileIntentRoute, type FlowFileNode, type FlowFileTransition } from './flow-schema.js';
import { placeholdersOf } from './prompt-template.js';
import { isSlotType, SLOT_TYPES, type SlotType } from './understanding/slots.js';
import { isKeypadKey } from '../turn/keypad.js';

/** Slot types a keypad entry can fill: the keys as typed (text, phone) or their value (number). */
const KEYPAD_SLOT_TYPES: readonly SlotType[] = ['text', 'number', 'phone'];
/** Keypad entry bounds when a node does not set them (the turn core's default maximum is 16 keys). */
const DEFAULT_DIGITS = { min: 1, max: 16 };
/** Digits a JavaScript number keeps exactly (2^53 has 16). */
const MAX_NUMBER_DIGITS = 15;

type Path = (string | number)[];

export type CompileOptions = {
  file: string;
  /** Tool names actions may call; omit to skip the check. */
  knownTools?: readonly string[];
  /** Line of a path in the source, for messages. */
  lineOf?: (path: Path) => number | undefined;
};

export function compileFlow(raw: FlowFile, options: CompileOptions): Flow {
  const issues: FlowIssue[] = [];
  const add = (path: Path, message: string) => issues.push({ file: options.file, line: options.lineOf?.(path), ...locate(path), message });
  const routePath = (path: Path, raw: FlowFileTransition | FlowFileIntentRoute) => (typeof raw === 'string' ? path : [...path, 'goto']);

  // ---- declarations ----
  const slots: Record<string, SlotType> = {};
  for (const [name, type] of Object.entries(raw.slots ?? {})) {
    if (isSlotType(type)) slots[name] = type;
    else {
      add(['slots', name], `unknown slot type "${type}" (types: ${SLOT_TYPES.join(', ')})`);
      slots[name] = 'text';
    }
  }
  const intents: Record<string, string[]> = {};
  for (const [name, examples] of Object.entries(raw.intents ?? {})) intents[name] = [...examples];
  const nodeIds = new Set(Object.keys(raw.nodes));
  if (nodeIds.has(BACK)) add(['nodes', BACK], `"${BACK}" is reserved (it means: return to the node that heard the caller last); rename the node`);

  // ---- compile, checking names as we go ----
  const used: { slot: string; path: Path }[] = [];
  const filled = new Set<string>();
  const checkSlot = (path: Path, slot: string) => {
    if (slot in slots) return true;
    const hint = closest(slot, Object.keys(slots));
    add(path, `unknown slot "${slot}"${hint ? ` (did you mean "${hint}"?)` : ''}; declare it under "slots"`);
    return false;
  };
  let unknownTargets = 0;
  const checkTarget = (path: Path, goto: string) => {
    if (goto === BACK || nodeIds.has(goto)) return;
    unknownTargets++;
    const hint = closest(goto, nodeIds);
    add(path, `unknown node "${goto}"${hint ? ` (did you mean "${hint}"?)` : ''}`);
  };
  const transition = (path: Path, t: FlowFileTransition | FlowFileIntentRoute): Transition => {
    const obj = typeof t === 'string' ? { goto: t } : t;
    checkTarget(routePath(path, t), obj.goto);
    const out: Transition = { goto: obj.goto };
    if ('clear' in obj && obj.clear !== undefined) {
      if (obj.clear !== 'all') obj.clear.forEach((s, i) => checkSlot([...path, 'clear', i], s));
      out.clear = obj.clear;
    }
    if ('set' in obj && obj.set) {
      for (const [s, v] of Object.entries(obj.set)) {
        if (checkSlot([...path, 'set', s], s)) filled.add(s);
        if (typeof v === 'string') usePlaceholders([...path, 'set', s], v);
      }
      out.set = { ...obj.set };
    }
    const fill = 'fill' in obj ? (obj.fill as string[] | undefined) : undefined;
    if (fill) {
      fill.forEach((s, i) => {
        if (checkSlot([...path, 'fill', i], s)) filled.add(s);
      });
      out.fill = [...fill];
    }
    return out;
  };
  const usePlaceholders = (path: Path, text: string | undefined) => {
    for (const p of placeholdersOf(text ?? '')) if (checkSlot(path, p.slot)) used.push({ slot: p.slot, path });
  };
  const intentRoute = (path: Path, name: string, route: FlowFileIntentRoute): Transition => {
    if (typeof route !== 'string' && route.examples) intents[name] = [...(intents[name] ?? []), ...route.examples];
    return transition(path, route);
  };

  const nodes: Record<string, FlowNode> = {};
  for (const [id, n] of Object.entries(raw.nodes)) nodes[id] = compileNode(id, n);

  function compileNode(id: string, n: FlowFileNode): FlowNode {
    const at = (...rest: Path): Path => ['nodes', id, ...rest];
    usePlaceholders(at('say'), n.say);
    usePlaceholders(at('reprompt'), n.reprompt);
    const node: FlowNode = { id, say: n.say, actions: [], reprompt: n.reprompt, maxRetries: n.maxRetries, end: n.end ?? false, handoff: n.handoff ?? false };
    if (n.next !== undefined) node.next = transition(at('next'), n.next);
    if (n.fallback !== undefined) node.fallback = transition(at('fallback'), n.fallback);
    if (n.listen) node.listen = compileListen(id, n.listen);
    node.actions = (n.actions ?? []).map((a, i) => compileAction(at('actions', i), a));
    if (node.end && (node.listen || node.next)) add(at('end'), 'an end node cannot also have "listen" or "next"');
    return node;
  }

  function compileListen(id: string, l: NonNullable<FlowFileNode['listen']>): FlowListen {
    const at = (...rest: Path): Path => ['nodes', id, 'listen', ...rest];
    const out: FlowListen = { intents: {}, keys: {}, slots: [], require: [], always: l.always ?? false };
    for (const [name, route] of Object.entries(l.intents ?? {})) out.intents[name] = intentRoute(at('intents', name), name, route);
    for (const [key, route] of Object.entries(l.keys ?? {})) {
      if (!isKeypadKey(key)) add(at('keys', key), `"${key}" is not a keypad key: one of 0-9, *, #, A-D (quote * and # in YAML)`);
      out.keys[key] = transition(at('keys', key), route);
    }
    (l.slots ?? []).forEach((s, i) => {
      if (checkSlot(at('slots', i), s)) filled.add(s);
      out.slots.push(s);
    });
    if (l.digits) out.digits = compileDigits(id, l.digits);
    const listened = out.digits && !out.slots.includes(out.digits.slot) ? [...out.slots, out.digits.slot] : out.slots;
    out.require = l.require ? [...l.require] : [...listened];
    (l.require ?? []).forEach((s, i) => {
      if (!listened.includes(s)) add(at('require', i), `"${s}" is required but not in listen.slots${out.digits ? ' or listen.digits' : ''}`);
    });
    if (l.next !== undefined) out.next = transition(at('next'), l.next);
    if (l.corrections !== undefined) {
      const c = l.corrections;
      if (typeof c === 'string' || 'goto' in c) out.corrections = transition(at('corrections'), c as FlowFileTransition);
      else {
        const map: Record<string, Transition> = {};
        for (const [slot, t] of Object.entries(c as Record<string, FlowFileTransition>)) {
          if (checkSlot(at('corrections', slot), slot)) used.push({ slot, path: at('corrections', slot) });
          map[slot] = transition(at('corrections', slot), t);
        }
        out.corrections = map;
      }
    }
    if (Object.keys(out.intents).length === 0 && out.slots.length === 0 && Object.keys(out.keys).length === 0 && !out.digits) {
      add(at(), 'listen needs "intents", "slots", "keys" or "digits"');
    }
    if (out.slots.length > 0 && !out.next) add(at('next'), 'required when listen.slots is set (where to go once the slots are filled)');
    else if (out.digits && !out.next) add(at('next'), 'required when listen.digits is set (where to go once the slot is filled)');
    return out;
  }

  function compileDigits(id: string, d: NonNullable<NonNullable<FlowFileNode['listen']>['digits']>): FlowDigits {
    const at = (...rest: Path): Path => ['nodes', id, 'listen', 'digits', ...rest];
    const known = checkSlot(at('slot'), d.slot);
    const type = known ? slots[d.slot] : 'text';
    if (known) {
      filled.add(d.slot);
      if (!KEYPAD_SLOT_TYPES.includes(type)) add(at('slot'), `slot "${d.slot}" is a ${type}: typed keys can fill only ${KEYPAD_SLOT_TYPES.join(', ')} slots`);
    }
    const longest = type === 'number' ? MAX_NUMBER_DIGITS : DEFAULT_DIGITS.max;
    const out: FlowDigits = { slot: d.slot, min: d.min ?? DEFAULT_DIGITS.min, max: d.max ?? Math.max(longest, d.min ?? 0) };
    if (out.min > out.max) add(at('min'), `min (${out.min}) is more than max (${out.max})`);
    else if (type === 'number' && out.max > MAX_NUMBER_DIGITS) {
      add(at(d.max !== undefined ? 'max' : 'min'), `a number slot holds at most ${MAX_NUMBER_DIGITS} digits exactly; use a text slot for longer entries`);
    }
    return out;
  }

  function compileAction(path: Path, a: NonNullable<FlowFileNode['actions']>[number]): FlowAction {
    if (options.knownTools && !options.knownTools.includes(a.tool)) {
      const hint = closest(a.tool, options.knownTools);
      add([...path, 'tool'], `unknown tool "${a.tool}"${hint ? ` (did you mean "${hint}"?)` : ''} (known: ${options.knownTools.join(', ') || 'none'})`);
    }
    for (const [name, value] of Object.entries(a.args ?? {})) if (typeof value === 'string') usePlaceholders([...path, 'args', name], value);
    for (const slot of Object.keys(a.save ?? {})) if (checkSlot([...path, 'save', slot], slot)) filled.add(slot);
    const out: FlowAction = { tool: a.tool, args: { ...(a.args ?? {}) }, save: { ...(a.save ?? {}) }, speak: a.speak ?? true, on: {} };
    if (a.onOk !== undefined) out.onOk = transition([...path, 'onOk'], a.onOk);
    if (a.onFail !== undefined) out.onFail = transition([...path, 'onFail'], a.onFail);
    if (a.onError !== undefined) out.onError = transition([...path, 'onError'], a.onError);
    for (const [code, t] of Object.entries(a.on ?? {})) out.on[code] = transition([...path, 'on', code], t);
    return out;
  }

  const global: Record<string, Transition> = {};
  for (const [name, route] of Object.entries(raw.global ?? {})) global[name] = intentRoute(['global', name], name, route);

  // ---- flow-level references ----
  if (!nodeIds.has(raw.start)) checkTarget(['start'], raw.start);
  if (raw.handoff !== undefined && !nodeIds.has(raw.handoff)) checkTarget(['handoff'], raw.handoff);
  const known = (name: string) => name in intents || (BUILTIN_INTENTS as readonly string[]).includes(name);
  const checkIntent = (path: Path, name: string) => {
    if (known(name)) return;
    const hint = closest(name, [...Object.keys(intents), ...BUILTIN_INTENTS]);
    add(path, `unknown intent "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}: give it examples under "intents" or inline "examples"`);
  };
  for (const name of Object.keys(global)) checkIntent(['global', name], name);
  for (const node of Object.values(nodes)) for (const name of Object.keys(node.listen?.intents ?? {})) checkIntent(['nodes', node.id, 'listen', 'intents', name], name);

  // ---- slots used but never filled ----
  for (const { slot, path } of used) {
    if (!filled.has(slot)) add(path, `slot "${slot}" is used here but nothing fills it (no listen.slots, fill, save or set names it)`);
  }

  // ---- each node leads somewhere ----
  for (const node of Object.values(nodes)) {
    // Actions without a route fall through to the next action; the last one must route every outcome.
    const last = node.actions.at(-1);
    const actionsLead = last !== undefined && last.onOk !== undefined && last.onFail !== undefined;
    if (!node.end && !node.listen && !node.next && !actionsLead) {
      add(['nodes', node.id], 'nothing follows this node: give it "listen", "next" or "end: true"');
    }
  }

  // ---- reachability and the greeting ----
  // A mistyped target strands the nodes behind it; report the typo, not every stranded node.
  if (nodeIds.has(raw.start) && unknownTargets === 0) {
    const reachable = reach(raw.start, nodes, global, raw.handoff);
    for (const id of nodeIds) if (!reachable.has(id)) add(['nodes', id], `unreachable: no transition leads here from start "${raw.start}"`);
    checkGreeting(raw.start, nodes, add);
  }
  checkPassThroughLoops(nodes, add);

  if (issues.length > 0) throw new FlowValidationError(options.file, issues);

  const tools = [...new Set(Object.values(nodes).flatMap((n) => n.actions.map((a) => a.tool)))];
  return {
    file: options.file,
    name: raw.name,
    description: raw.description,
    start: raw.start,
    locale: raw.locale ?? 'en-US',
    timeZone: raw.timeZone,
    maxRetries: raw.maxRetries ?? 2,
    handoff: raw.handoff,
    prompts: { noMatch: raw.prompts?.noMatch ?? DEFAULT_PROMPTS.noMatch, corrected: raw.prompts?.corrected ?? DEFAULT_PROMPTS.corrected },
    slots,
    intents,
    global,
    nodes,
    tools,
  };
}

/** Every transition out of a node, including where a listening node can be taken by a global intent or by retries. */
export function successors(node: FlowNode, global: Record<string, Transition>, handoff: string | undefined): string[] {
  const out: Transition[] = [];
  if (node.next) out.push(node.next);
  if (node.fallback) out.push(node.fallback);
  for (const a of node.actions) for (const t of [a.onOk, a.onFail, a.onError, ...Object.values(a.on)]) if (t) out.push(t);
  if (node.listen) {
    const l = node.listen;
    out.push(...Object.values(l.intents), ...Object.values(l.keys));
    if (l.next) out.push(l.next);
    if (l.corrections) out.push(...('goto' in l.corrections ? [l.corrections as Transition] : Object.values(l.corrections as Record<string, Transition>)));
    out.push(...Object.values(global));
    if (handoff && !node.fallback) out.push({ goto: handoff });
  }
  return out.map((t) => t.goto).filter((g) => g !== BACK);
}

function reach(start: string, nodes: Record<string, FlowNode>, global: Record<string, Transition>, handoff: string | undefined): Set<string> {
  const seen = new Set([start]);
  const queue = [start];
  while (queue.length > 0) {
    const node = nodes[queue.shift()!];
    if (!node) continue;
    for (const next of successors(node, global, handoff)) {
      if (!seen.has(next) && next in nodes) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}

/** The greeting (start up to the first listening node) is spoken before any LLM round, so it cannot call tools. */
function checkGreeting(start: string, nodes: Record<string, FlowNode>, add: (path: Path, message: string) => void): void {
  const seen = new Set<string>();
  for (let id: string | undefined = start; id && nodes[id] && !seen.has(id); id = nodes[id].next?.goto) {
    seen.add(id);
    const node: FlowNode = nodes[id];
    if (node.actions.length > 0) {
      add(['nodes', id, 'actions'], 'the greeting (from start to the first listening node) cannot run actions; move them after a node that listens');
      return;
    }
    if (node.listen || node.end) return;
  }
}

/** Nodes that only say and move on must not loop among themselves, or the agent would talk forever. */
function checkPassThroughLoops(nodes: Record<string, FlowNode>, add: (path: Path, message: string) => void): void {
  const passThrough = (n: FlowNode | undefined) => n && !n.listen && !n.end && n.actions.length === 0 && n.next && n.next.goto !== BACK;
  const reported = new Set<string>();
  for (const id of Object.keys(nodes)) {
    const path: string[] = [];
    let cur: string | undefined = id;
    while (cur && passThrough(nodes[cur]) && !path.includes(cur)) {
      path.push(cur);
      cur = nodes[cur].next!.goto;
    }
    if (cur && path.includes(cur) && !reported.has(cur)) {
      const loop = path.slice(path.indexOf(cur));
      loop.forEach((n) => reported.add(n));
      add(['nodes', cur, 'next'], `nodes ${loop.map((n) => `"${n}"`).join(' → ')} pass to each other without listening: the agent would talk forever`);
    }
  }
}
