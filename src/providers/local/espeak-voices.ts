// The voices espeak-ng knows, read once from `espeak-ng --voices` (and `--voices=variant`), and the
// checking of a voice setting against them. espeak itself is lenient in unhelpful ways: an unknown
// language falls back to a prefix ("en-zz" speaks "en"), an unknown "+variant" is silently ignored,
// and a variant name on its own crashes it; so a voice is accepted only when it names a real one.
import { execFile } from 'node:child_process';
import { ProviderError } from '../provider-error.js';
import { ESPEAK_PROVIDER, exitError, spawnError } from './espeak-errors.js';

export type EspeakVoice = {
  /** Primary language code, e.g. `en-us`. */
  language: string;
  /** Further codes the voice answers to, e.g. `en` for `en-us`. */
  otherLanguages: string[];
  /** Display name with spaces, e.g. `English (America)`. */
  name: string;
  /** Voice file identifier, e.g. `gmw/en-US`. */
  file: string;
};

export type EspeakCatalog = {
  voices: EspeakVoice[];
  /** Variants (`+f3`, `+klatt`, …): name and file as listed by `--voices=variant`. */
  variants: EspeakVoice[];
};

/**
 * Parses the table printed by `espeak-ng --voices`:
 * `Pty Language Age/Gender VoiceName File Other Languages`, names with `_` for spaces, other
 * languages as `(code priority)` groups.
 */
export function parseVoiceList(text: string): EspeakVoice[] {
  const voices: EspeakVoice[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 5 || !/^\d+$/.test(fields[0])) continue;
    const [, language, , name, file, ...rest] = fields;
    const otherLanguages = [...rest.join(' ').matchAll(/\(([^\s()]+)\s+\d+\)/g)].map((m) => m[1].toLowerCase());
    voices.push({ language: language.toLowerCase(), otherLanguages, name: name.replace(/_/g, ' '), file });
  }
  return voices;
}

/** Language codes of the catalog's voices, primary and other, without duplicates. */
export function catalogLanguages(catalog: EspeakCatalog): string[] {
  const codes = new Set<string>();
  for (const v of catalog.voices) {
    codes.add(v.language);
    for (const other of v.otherLanguages) codes.add(other);
  }
  return [...codes].sort();
}

const lower = (s: string) => s.toLowerCase();
const baseName = (file: string) => file.slice(file.lastIndexOf('/') + 1);

/**
 * Turns a voice setting — a language code (`en-us`, `en`), a voice name (`English (America)`, or
 * with underscores as listed), or a voice file (`gmw/en-US`), optionally followed by `+variant`
 * (`en-us+f3`, `en-us+klatt`) — into the `-v` argument espeak-ng understands.
 * Throws a ProviderError (bad_request, `unknown_voice`) naming close matches otherwise.
 */
export function resolveVoice(spec: string, catalog: EspeakCatalog): string {
  const plus = spec.indexOf('+');
  const base = (plus < 0 ? spec : spec.slice(0, plus)).trim();
  const variant = plus < 0 ? null : spec.slice(plus + 1).trim();
  const wanted = lower(base);
  const spaced = wanted.replace(/_/g, ' ');

  let arg: string | null = null;
  for (const v of catalog.voices) {
    if (v.language === wanted || v.otherLanguages.includes(wanted)) arg = wanted;
    else if (lower(v.name) === spaced) arg = v.name;
    else if (lower(v.file) === wanted || lower(baseName(v.file)) === wanted) arg = v.file;
    if (arg) break;
  }
  if (!arg) throw unknownVoice(spec, suggestions(wanted, catalog.voices));
  if (variant === null) return arg;

  const variantWanted = lower(variant);
  const found = catalog.variants.find(
    (v) => lower(baseName(v.file)) === variantWanted || lower(v.name) === variantWanted.replace(/_/g, ' '),
  );
  if (!found) {
    const some = catalog.variants.slice(0, 8).map((v) => baseName(v.file));
    throw unknownVoice(spec, some.map((s) => `${arg}+${s}`), `variant "${variant}" is not one espeak-ng lists`);
  }
  return `${arg}+${baseName(found.file)}`;
}

function suggestions(wanted: string, voices: EspeakVoice[]): string[] {
  const prefix = wanted.split(/[-_ ]/)[0];
  const close = voices.filter((v) => v.language.split('-')[0] === prefix).map((v) => v.language);
  return (close.length > 0 ? close : voices.map((v) => v.language)).slice(0, 8);
}

function unknownVoice(spec: string, known: string[], why = 'no espeak-ng voice has that language, name or file'): ProviderError {
  const hint = known.length > 0 ? `; try one of: ${known.join(', ')}` : '';
  return new ProviderError(ESPEAK_PROVIDER, 'bad_request', `unknown voice ${JSON.stringify(spec)}: ${why}${hint} (see \`espeak-ng --voices\`)`, {
    code: 'unknown_voice',
  });
}

/** Runs the voice listings once per binary; a failed load is forgotten so a later call retries. */
export class EspeakVoiceCatalog {
  private loading: Promise<EspeakCatalog> | null = null;

  constructor(private readonly binary: string) {}

  load(): Promise<EspeakCatalog> {
    if (!this.loading) {
      this.loading = Promise.all([this.list('--voices'), this.list('--voices=variant')]).then(([voicesText, variantsText]) => {
        const voices = parseVoiceList(voicesText);
        if (voices.length === 0) {
          throw new ProviderError(ESPEAK_PROVIDER, 'protocol', `\`${this.binary} --voices\` listed no voices`, { code: 'no_voices' });
        }
        return { voices, variants: parseVoiceList(variantsText) };
      });
      this.loading.catch(() => {
        this.loading = null;
      });
    }
    return this.loading;
  }

  private list(option: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const done = (err: Error | null, stdout: string, stderr: string) => {
        if (!err) return resolve(stdout);
        const e = err as NodeJS.ErrnoException & { code?: unknown; signal?: NodeJS.Signals | null };
        if (typeof e.code === 'string') return reject(spawnError(this.binary, err));
        reject(exitError(`${this.binary} ${option}`, typeof e.code === 'number' ? e.code : null, e.signal ?? null, stderr));
      };
      try {
        execFile(this.binary, [option], { timeout: 10_000, maxBuffer: 1 << 20 }, done);
      } catch (err) {
        // Thrown synchronously for a binary path Node cannot pass (e.g. containing a NUL).
        reject(spawnError(this.binary, err));
      }
    });
  }
}
