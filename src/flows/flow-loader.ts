// Reads a flow file (YAML, or JSON, which YAML parses too), reporting syntax errors with their
// line, duplicate keys (JSON.parse would silently keep the last), schema errors and graph errors,
// each naming the file, node and field.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { FlowValidationError, locate, type FlowIssue } from './flow-errors.js';
import { flowFileSchema } from './flow-schema.js';
import type { Flow } from './flow-types.js';
import { compileFlow } from './flow-validate.js';

export type LoadFlowOptions = {
  /** Tool names the flow's actions may call (the agent's tool registry); omit to skip the check. */
  knownTools?: readonly string[];
};

type Path = (string | number)[];

export async function loadFlow(file: string, options: LoadFlowOptions = {}): Promise<Flow> {
  return parseFlow(await readFile(file, 'utf8'), file, options);
}

export function loadFlowSync(file: string, options: LoadFlowOptions = {}): Flow {
  return parseFlow(readFileSync(file, 'utf8'), file, options);
}

/** Parses and validates flow source text; `file` is used in messages. Throws FlowValidationError. */
export function parseFlow(text: string, file: string, options: LoadFlowOptions = {}): Flow {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const lineAt = (offset: number | undefined) => (offset === undefined ? undefined : lines.linePos(offset).line);
  if (doc.errors.length > 0) {
    // One error usually sets off a few more on the same line; the first says what is wrong.
    const issues: FlowIssue[] = [];
    for (const e of doc.errors) {
      const line = lineAt(e.pos[0]);
      if (!issues.some((i) => i.line === line)) issues.push({ file, line, message: `syntax error: ${e.message}` });
    }
    throw new FlowValidationError(file, issues);
  }
  const duplicates = duplicateKeys(doc, lineAt, file);
  if (duplicates.length > 0) throw new FlowValidationError(file, duplicates);

  const lineOf = (path: Path) => lineOfPath(doc, path, lineAt);
  const parsed = flowFileSchema.safeParse(doc.toJS());
  if (!parsed.success) throw new FlowValidationError(file, parsed.error.issues.flatMap((i) => schemaIssues(i, file, lineOf)));
  return compileFlow(parsed.data, { file, knownTools: options.knownTools, lineOf });
}

function schemaIssues(issue: z.core.$ZodIssue, file: string, lineOf: (path: Path) => number | undefined): FlowIssue[] {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ file, line: lineOf([...path, key]), ...locate([...path, key]), message: 'unknown field' }));
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return [{ file, line: lineOf(path), ...locate(path), message: 'required field is missing' }];
  }
  return [{ file, line: lineOf(path), ...locate(path), message: issue.message }];
}

/** The line of the deepest part of `path` present in the document (a key's own line when it has one). */
function lineOfPath(doc: Document, path: Path, lineAt: (offset: number | undefined) => number | undefined): number | undefined {
  let node: unknown = doc.contents;
  let line = lineAt((doc.contents as YamlNode | null)?.range?.[0]);
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === part);
      if (!pair) break;
      line = lineAt((pair.key as YamlNode | null)?.range?.[0]) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part] as YamlNode | undefined;
      if (!item) break;
      line = lineAt(item.range?.[0]) ?? line;
      node = item;
    } else {
      break;
    }
  }
  return line;
}

/** Keys given twice in one mapping; in `nodes` that is a duplicate node id. */
function duplicateKeys(doc: Document, lineAt: (offset: number | undefined) => number | undefined, file: string): FlowIssue[] {
  const issues: FlowIssue[] = [];
  const walk = (node: unknown, path: Path) => {
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        const keyPath = [...path, String(key)];
        if (seen.has(key)) {
          const isNodeId = path.length === 1 && path[0] === 'nodes';
          issues.push({
            file,
            line: lineAt((pair.key as YamlNode | null)?.range?.[0]),
            ...(isNodeId ? { node: String(key) } : locate(keyPath)),
            message: isNodeId ? `duplicate node id "${String(key)}"` : `duplicate key "${String(key)}"`,
          });
        }
        seen.add(key);
        walk(pair.value, keyPath);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, i]));
    }
  };
  walk(doc.contents, []);
  return issues;
}
