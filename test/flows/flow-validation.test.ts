// Load-time validation: every kind of mistake is reported with the file, line, node and field.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { FlowValidationError, flowVocabulary, loadFlow, loadFlowSync, parseFlow, type FlowIssue } from '../../src/flows/index.js';
import { DESK_TOOLS } from './support/fake-desk.js';

const FILE = 'flows/test.yaml';

/** A small valid flow; tests break one thing at a time by replacing text. */
const BASE = `name: test
start: greet
handoff: human
slots:
  date: date
  name: name
intents:
  book: [book an appointment]
nodes:
  greet:
    say: Hello.
    next: menu
  menu:
    say: How can I help?
    listen:
      intents:
        book: ask_date
  ask_date:
    say: What day?
    listen:
      slots: [date]
      next: check
  check:
    say: Checking {date}.
    actions:
      - tool: check_availability
        args: { date: "{date}" }
        onOk: bye
        onFail: ask_date
  bye:
    say: Goodbye.
    end: true
  human:
    say: Hold on.
    end: true
    handoff: true
`;

function issuesOf(text: string, file = FILE, knownTools: readonly string[] | undefined = DESK_TOOLS): FlowIssue[] {
  try {
    parseFlow(text, file, { knownTools });
  } catch (err) {
    expect(err).toBeInstanceOf(FlowValidationError);
    return [...(err as FlowValidationError).issues];
  }
  throw new Error('expected the flow to be rejected');
}

function variant(from: string, to: string): string {
  expect(BASE).toContain(from);
  return BASE.replace(from, to);
}

const lineOf = (text: string, fragment: string) => text.split('\n').findIndex((l) => l.includes(fragment)) + 1;

describe('flow validation', () => {
  it('accepts the base flow', () => {
    const flow = parseFlow(BASE, FILE, { knownTools: DESK_TOOLS });
    expect(flow.tools).toEqual(['check_availability']);
    expect(flow.nodes.menu.listen?.intents.book).toEqual({ goto: 'ask_date' });
  });

  it('names file, line, node and field for an unknown node in a transition, with a hint', () => {
    const text = variant('book: ask_date', 'book: ask_dat');
    const [issue] = issuesOf(text);
    expect(issue).toEqual({ file: FILE, line: lineOf(text, 'book: ask_dat'), node: 'menu', field: 'listen.intents.book', message: 'unknown node "ask_dat" (did you mean "ask_date"?)' });
    expect(new FlowValidationError(FILE, [issue]).message).toContain(`${FILE}:${issue.line}: node "menu", field "listen.intents.book": unknown node "ask_dat"`);
  });

  it('reports an unknown node in an object transition at its goto', () => {
    const [issue] = issuesOf(variant('onFail: ask_date', 'onFail: { goto: nowhere, clear: [date] }'));
    expect(issue).toMatchObject({ node: 'check', field: 'actions[0].onFail.goto', message: 'unknown node "nowhere"' });
  });

  it('reports an unreachable node', () => {
    const text = `${BASE}  orphan:\n    say: Nobody comes here.\n    end: true\n`;
    const [issue] = issuesOf(text);
    expect(issue).toMatchObject({ file: FILE, line: lineOf(text, 'orphan:'), node: 'orphan', message: 'unreachable: no transition leads here from start "greet"' });
  });

  it('reports a slot used in a prompt but never filled', () => {
    const [issue] = issuesOf(variant('say: Goodbye.', 'say: Goodbye {name}.'));
    expect(issue).toMatchObject({ node: 'bye', field: 'say', message: 'slot "name" is used here but nothing fills it (no listen.slots, fill, save or set names it)' });
  });

  it('reports a slot used in an action but never filled', () => {
    const [issue] = issuesOf(variant('args: { date: "{date}" }', 'args: { date: "{date}", name: "{name}" }'));
    expect(issue).toMatchObject({ node: 'check', field: 'actions[0].args.name', message: expect.stringContaining('slot "name" is used here but nothing fills it') });
  });

  it('reports an undeclared slot, with a hint', () => {
    const [issue] = issuesOf(variant('say: Checking {date}.', 'say: Checking {dat}.'));
    expect(issue).toMatchObject({ node: 'check', field: 'say', message: 'unknown slot "dat" (did you mean "date"?); declare it under "slots"' });
  });

  it('reports an unknown slot type at the flow level', () => {
    const text = variant('  name: name', '  name: person');
    const [issue] = issuesOf(text);
    expect(issue).toEqual({ file: FILE, line: lineOf(text, 'name: person'), field: 'slots.name', message: 'unknown slot type "person" (types: date, time, number, name, phone, email, yesno, text)' });
  });

  it('reports a tool that is not in the known tools', () => {
    const [issue] = issuesOf(variant('tool: check_availability', 'tool: check_availabilty'));
    expect(issue).toMatchObject({ node: 'check', field: 'actions[0].tool', message: expect.stringMatching(/^unknown tool "check_availabilty" \(did you mean "check_availability"\?\) \(known: check_availability, /) });
    expect(() => parseFlow(variant('tool: check_availability', 'tool: anything'), FILE)).not.toThrow();
  });

  it('reports duplicate node ids in YAML with the line of the second', () => {
    const text = `${BASE}  menu:\n    say: Again.\n    end: true\n`;
    const issues = issuesOf(text);
    expect(issues).toEqual([{ file: FILE, line: text.split('\n').lastIndexOf('  menu:') + 1, node: 'menu', message: 'duplicate node id "menu"' }]);
  });

  it('reports duplicate node ids in JSON, which JSON.parse would hide', () => {
    const json = `{"name": "j", "start": "a", "nodes": {\n  "a": {"say": "hi", "end": true},\n  "a": {"say": "again", "end": true}\n}}`;
    expect(issuesOf(json, 'flows/j.json')).toEqual([{ file: 'flows/j.json', line: 3, node: 'a', message: 'duplicate node id "a"' }]);
  });

  it('reports YAML syntax errors with their line', () => {
    const text = variant('        book: ask_date', '        book: [ask_date');
    const [issue] = issuesOf(text);
    expect(issue.file).toBe(FILE);
    expect(issue.line).toBeGreaterThanOrEqual(lineOf(text, 'book: [ask_date'));
    expect(issue.message).toMatch(/^syntax error: /);
  });

  it('reports unknown and missing fields', () => {
    const text = variant('    listen:\n      slots: [date]', '    lisen:\n      slots: [date]');
    const issues = issuesOf(text);
    expect(issues).toContainEqual({ file: FILE, line: lineOf(text, 'lisen:'), node: 'ask_date', field: 'lisen', message: 'unknown field' });
    expect(issuesOf(BASE.replace('start: greet\n', ''))).toContainEqual(expect.objectContaining({ field: 'start', message: 'required field is missing' }));
  });

  it('reports an intent without examples', () => {
    const [issue] = issuesOf(variant('book: ask_date', 'bok: ask_date'));
    expect(issue).toMatchObject({ node: 'menu', field: 'listen.intents.bok', message: expect.stringContaining('unknown intent "bok" (did you mean "book"?)') });
  });

  it('reports a node with no way forward, and listen slots without next', () => {
    expect(issuesOf(variant('    say: Goodbye.\n    end: true', '    say: Goodbye.'))).toContainEqual(
      expect.objectContaining({ node: 'bye', message: 'nothing follows this node: give it "listen", "next" or "end: true"' }),
    );
    expect(issuesOf(variant('      slots: [date]\n      next: check', '      slots: [date]'))).toContainEqual(
      expect.objectContaining({ node: 'ask_date', field: 'listen.next', message: expect.stringContaining('required when listen.slots is set') }),
    );
  });

  it('reports nodes that pass to each other forever, and actions in the greeting', () => {
    const loop = variant('    say: Hello.\n    next: menu', '    say: Hello.\n    next: loop\n  loop:\n    say: Again.\n    next: greet');
    expect(issuesOf(loop)).toContainEqual(expect.objectContaining({ message: expect.stringContaining('pass to each other without listening') }));
    const greeting = variant('    say: Hello.\n    next: menu', '    say: Hello.\n    next: check');
    expect(issuesOf(greeting)).toContainEqual(expect.objectContaining({ node: 'check', field: 'actions', message: expect.stringContaining('greeting') }));
  });

  it('reserves "back" as a node id', () => {
    expect(issuesOf(`${BASE}  back:\n    say: x\n    end: true\n`)).toContainEqual(expect.objectContaining({ node: 'back', message: expect.stringContaining('reserved') }));
  });

  it('collects every problem, not just the first', () => {
    const text = BASE.replace('book: ask_date', 'book: ask_dat').replace('tool: check_availability', 'tool: nope').replace('  name: name', '  name: person');
    expect(issuesOf(text).map((i) => i.field)).toEqual(expect.arrayContaining(['slots.name', 'listen.intents.book', 'actions[0].tool']));
  });

  it('names the file path given to loadFlow', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-flow-'));
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, BASE.replace('book: ask_date', 'book: ask_dat'));
    await expect(loadFlow(file, { knownTools: DESK_TOOLS })).rejects.toThrow(`${file}:${lineOf(BASE, 'book: ask_date')}: node "menu", field "listen.intents.book": unknown node "ask_dat"`);
  });
});

describe('the receptionist flow file', () => {
  it('loads and validates against the appointment tools', () => {
    const flow = loadFlowSync('flows/receptionist.yaml', { knownTools: DESK_TOOLS });
    expect(flow.name).toBe('receptionist');
    expect([...flow.tools].sort()).toEqual([...DESK_TOOLS].sort());
    expect(flow.nodes[flow.handoff!]).toMatchObject({ end: true, handoff: true });
    expect(Object.keys(flow.global).sort()).toEqual(['goodbye', 'hours', 'human', 'restart']);
  });

  it('reads the same flow written as JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-flow-json-'));
    const file = join(dir, 'receptionist.json');
    writeFileSync(file, JSON.stringify(parseYaml(readFileSync('flows/receptionist.yaml', 'utf8')), null, 2));
    const fromJson = loadFlowSync(file, { knownTools: DESK_TOOLS });
    const fromYaml = loadFlowSync('flows/receptionist.yaml', { knownTools: DESK_TOOLS });
    expect(Object.keys(fromJson.nodes)).toEqual(Object.keys(fromYaml.nodes));
    expect(fromJson.intents).toEqual(fromYaml.intents);
    expect(fromJson.nodes.book_confirm.say).toBe(fromYaml.nodes.book_confirm.say);
    // Mistakes in JSON name the line too.
    writeFileSync(file, readFileSync(file, 'utf8').replace('"next": "book_check"', '"next": "nowhere"'));
    expect(() => loadFlowSync(file, { knownTools: DESK_TOOLS })).toThrow(/receptionist\.json:\d+: node "book_time", field "listen\.next": .*nowhere/);
  });

  it('is rejected when a tool it uses is missing from the registry', () => {
    expect(() => loadFlowSync('flows/receptionist.yaml', { knownTools: DESK_TOOLS.filter((t) => t !== 'opening_hours') })).toThrow(/node "hours", field "actions\[0\]\.tool": unknown tool "opening_hours"/);
  });
});

describe('flowVocabulary', () => {
  it('lists the words of the intents, prompts and extractors', () => {
    const words = flowVocabulary(loadFlowSync('flows/receptionist.yaml'), ['Smith']);
    expect(words).toEqual(expect.arrayContaining(['reschedule', 'appointment', 'opening', 'wednesday', 'march', 'twenty', 'quarter', 'oclock', 'yes', 'nope', 'smith']));
    expect(words).toEqual([...new Set(words)].sort());
    expect(words.every((w) => /^[a-z']+$/.test(w))).toBe(true);
  });
});
