// Voice settings are checked against what the installed espeak-ng lists, so a typo is a clear error
// instead of espeak's silent fallback (or crash); and the text sent to espeak cannot switch it
// into phoneme input or be cut short.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { speakableText } from '../../../src/providers/local/espeak-text.js';
import { catalogLanguages, EspeakVoiceCatalog, parseVoiceList, resolveVoice, type EspeakCatalog } from '../../../src/providers/local/espeak-voices.js';
import { providerErrorOf } from '../../helpers/provider-failure.js';

const SAMPLE = `Pty Language       Age/Gender VoiceName          File                 Other Languages
 5  af              --/M      Afrikaans          gmw/af
 5  cmn             --/M      Chinese_(Mandarin,_latin_as_English) sit/cmn              (zh-cmn 5)(zh 5)
 2  en-gb           --/M      English_(Great_Britain) gmw/en               (en 2)
 2  en-us           --/M      English_(America)  gmw/en-US            (en 3)
 5  chr-US-Qaaa-x-west --/M      Cherokee_          iro/chr
`;


describe('parseVoiceList', () => {
  it('reads languages, names with spaces, files and other languages', () => {
    const voices = parseVoiceList(SAMPLE);
    expect(voices).toHaveLength(5);
    expect(voices[1]).toEqual({ language: 'cmn', otherLanguages: ['zh-cmn', 'zh'], name: 'Chinese (Mandarin, latin as English)', file: 'sit/cmn' });
    expect(voices[3]).toEqual({ language: 'en-us', otherLanguages: ['en'], name: 'English (America)', file: 'gmw/en-US' });
    expect(voices[4].language).toBe('chr-us-qaaa-x-west');
    expect(catalogLanguages({ voices, variants: [] })).toEqual(['af', 'chr-us-qaaa-x-west', 'cmn', 'en', 'en-gb', 'en-us', 'zh', 'zh-cmn']);
  });
});

describe('resolveVoice against the installed espeak-ng', async () => {
  const catalog: EspeakCatalog = await new EspeakVoiceCatalog('espeak-ng').load();

  it('lists the installed voices and variants', () => {
    expect(catalog.voices.length).toBeGreaterThan(50);
    expect(catalog.voices.length).toBe(parseVoiceList(execFileSync('espeak-ng', ['--voices'], { encoding: 'utf8' })).length);
    expect(catalog.variants.map((v) => v.file)).toContain('!v/f3');
    expect(catalogLanguages(catalog)).toEqual(expect.arrayContaining(['en', 'en-us', 'en-gb', 'fr-fr', 'de']));
  });

  it('accepts language codes, names, files and variants, as espeak-ng understands them', () => {
    expect(resolveVoice('en-us', catalog)).toBe('en-us');
    expect(resolveVoice('EN-US', catalog)).toBe('en-us');
    expect(resolveVoice('en', catalog)).toBe('en');
    expect(resolveVoice('English (America)', catalog)).toBe('English (America)');
    // As `--voices` prints it; espeak itself refuses the underscores.
    expect(resolveVoice('English_(America)', catalog)).toBe('English (America)');
    expect(resolveVoice('gmw/en-US', catalog)).toBe('gmw/en-US');
    expect(resolveVoice('en-us+f3', catalog)).toBe('en-us+f3');
    expect(resolveVoice('en-us+Klatt', catalog)).toBe('en-us+klatt');
    for (const spec of ['en-us', 'English (America)', 'gmw/en-US', 'en-us+f3', 'en-us+klatt']) {
      // Each resolved argument really is a voice espeak-ng loads.
      expect(() => execFileSync('espeak-ng', ['-q', '-v', resolveVoice(spec, catalog), 'ok'], { stdio: 'pipe' })).not.toThrow();
    }
  });

  it('refuses what espeak-ng would silently replace, ignore or crash on, naming close matches', () => {
    const prefix = providerErrorOf(() => resolveVoice('en-zz', catalog));
    expect(prefix.kind).toBe('bad_request');
    expect(prefix.code).toBe('unknown_voice');
    expect(prefix.message).toMatch(/unknown voice "en-zz".*try one of: .*en-us.*espeak-ng --voices/);
    expect(providerErrorOf(() => resolveVoice('xx-yy', catalog)).message).toMatch(/unknown voice "xx-yy".*try one of: af/);
    expect(providerErrorOf(() => resolveVoice('en-us+nonexistent', catalog)).message).toMatch(/variant "nonexistent" is not one espeak-ng lists.*en-us\+/);
    // A variant alone makes espeak-ng 1.51 segfault.
    expect(providerErrorOf(() => resolveVoice('Alicia', catalog)).code).toBe('unknown_voice');
    expect(providerErrorOf(() => resolveVoice('english', catalog)).code).toBe('unknown_voice');
  });
});

describe('speakableText', () => {
  it('breaks up [[ so espeak does not read phoneme mnemonics', () => {
    expect(speakableText("[[h@l'oU]] world")).toBe("[ [h@l'oU]] world");
    expect(speakableText('a [[[ b')).toBe('a [ [ [ b');
    // What espeak makes of it: the letters spoken, not the phonemes of "hello" as unescaped.
    const raw = execFileSync('espeak-ng', ['-q', '-x', '--stdin'], { input: "[[h@l'oU]]" }).toString();
    expect(raw).toMatch(/^\s*h@l'oU\s*$/);
    const phonemes = execFileSync('espeak-ng', ['-q', '-x', '--stdin'], { input: speakableText("[[h@l'oU]]") }).toString();
    expect(phonemes).not.toMatch(/^\s*h@l'oU\s*$/);
  });

  it('turns control characters (a NUL would end the text) into spaces and keeps newlines', () => {
    expect(speakableText('one\u0000two\u0007three\nfour\tfive')).toBe('one two three\nfour\tfive');
    const phonemes = execFileSync('espeak-ng', ['-q', '-x', '--stdin'], { input: speakableText('one\u0000two') }).toString();
    expect(phonemes).toMatch(/w'0n\s+t'u:/);
  });

  it('keeps leading dashes and SSML characters as plain text, and gives nothing for blank text', () => {
    expect(speakableText('-v fr <speak>AT&T</speak>')).toBe('-v fr <speak>AT&T</speak>');
    expect(speakableText('')).toBe('');
    expect(speakableText(' \n\t\u0000 ')).toBe('');
  });
});
