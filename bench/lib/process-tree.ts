// CPU time and memory of a process with all its descendants, read from /proc (Linux). The offline
// stack's work is mostly outside the server's own process (one pocketsphinx decoder per call, an
// espeak-ng per sentence), so the server's own figures would miss most of it. Children that have
// exited and been reaped are in their parent's cutime/cstime, so CPU differences between two
// samples count every process that lived in between.
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: the unit of the times in /proc/PID/stat on every Linux platform Node runs on. */
const TICKS_PER_S = 100;
const PAGE_BYTES = 4096;

type Stat = { pid: number; ppid: number; cpuTicks: number; rssPages: number; comm: string };

function readStat(pid: number): Stat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // exited while we looked
  }
  // The command name is in parentheses and may itself hold spaces or parentheses.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const f = text.slice(close + 2).split(' ');
  // Fields from 3 (state): ppid is field 4, utime..cstime 14..17, rss 24.
  const n = (field: number) => Number(f[field - 3]);
  return { pid, ppid: n(4), cpuTicks: n(14) + n(15) + n(16) + n(17), rssPages: n(24), comm };
}

export type TreeSample = {
  at: number;
  /** CPU time of the tree so far, ms (reaped children included). */
  cpuMs: number;
  rssMb: number;
  /** Live processes in the tree by command name. */
  processes: Record<string, number>;
};

export function sampleTree(rootPid: number): TreeSample {
  const stats: Stat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) stats.push(s);
  }
  const children = new Map<number, Stat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const root = stats.find((s) => s.pid === rootPid);
  const tree: Stat[] = [];
  const walk = (s: Stat) => {
    tree.push(s);
    for (const c of children.get(s.pid) ?? []) walk(c);
  };
  if (root) walk(root);
  const processes: Record<string, number> = {};
  for (const s of tree) processes[s.comm] = (processes[s.comm] ?? 0) + 1;
  return {
    at: performance.now(),
    cpuMs: (tree.reduce((sum, s) => sum + s.cpuTicks, 0) * 1000) / TICKS_PER_S,
    rssMb: (tree.reduce((sum, s) => sum + s.rssPages, 0) * PAGE_BYTES) / 1048576,
    processes,
  };
}
