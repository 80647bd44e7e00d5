// Load-time problems in a flow file, each naming the file, line, node and field, so a user
// editing the YAML can go straight to the mistake.

export type FlowIssue = {
  file: string;
  /** 1-based line in the file, when known. */
  line?: number;
  /** The node the problem is in; absent for flow-level fields. */
  node?: string;
  /** Dotted path of the field inside the node (or inside the flow), e.g. "listen.intents.book". */
  field?: string;
  message: string;
};

export function formatIssue(issue: FlowIssue): string {
  const where = issue.line !== undefined ? `${issue.file}:${issue.line}` : issue.file;
  const node = issue.node !== undefined ? `node "${issue.node}"` : '';
  const field = issue.field !== undefined && issue.field !== '' ? `field "${issue.field}"` : '';
  const subject = [node, field].filter(Boolean).join(', ');
  return `${where}: ${subject ? `${subject}: ` : ''}${issue.message}`;
}

export class FlowValidationError extends Error {
  constructor(
    readonly file: string,
    readonly issues: readonly FlowIssue[],
  ) {
    super(`invalid flow ${file} (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
    this.name = 'FlowValidationError';
  }
}

/** Splits a path into the node it is in and the field inside it. */
export function locate(path: readonly (string | number)[]): { node?: string; field?: string } {
  const fieldOf = (parts: readonly (string | number)[]) =>
    parts.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : String(p)), '');
  if (path[0] === 'nodes' && path.length >= 2) return { node: String(path[1]), field: fieldOf(path.slice(2)) || undefined };
  return { field: fieldOf(path) || undefined };
}

/** The closest candidate by edit distance, for "did you mean" hints. */
export function closest(word: string, candidates: Iterable<string>): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}
