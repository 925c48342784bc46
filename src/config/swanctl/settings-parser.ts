/**
 * strongSwan's settings syntax, as swanctl.conf uses it (settings_lexer.l / settings_parser.y):
 *
 *   # comment
 *   section {
 *     key = value up to the end of the line
 *     key = "a quoted string\n with escapes, which may span lines"
 *     include relative/or/absolute/*.conf
 *   }
 *
 * Sections with the same name merge and a later key overrides an earlier one (as strongSwan).
 * Every node keeps its file, line and column. No I/O here: `include` goes through SettingsFs.
 */
import { ConfigError } from '../../util/errors.js';

export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

export interface SettingsKey {
  kind: 'key';
  name: string;
  value: string;
  pos: SourcePos;
}

export interface SettingsSection {
  kind: 'section';
  name: string;
  pos: SourcePos;
  /** children in first-appearance order (merged) */
  children: Map<string, SettingsSection | SettingsKey>;
}

export interface SettingsFs {
  readFile(path: string): string;
  /** paths matching an include pattern (absolute, sorted); a pattern without wildcards is itself */
  glob(pattern: string): string[];
  dirname(path: string): string;
  resolve(dir: string, path: string): string;
}

export class SettingsSyntaxError extends ConfigError {
  constructor(
    readonly pos: SourcePos,
    detail: string,
  ) {
    super(`${pos.file}:${pos.line}:${pos.col}`, detail);
  }
}

interface Token {
  t: 'word' | 'string' | '{' | '}' | '=' | 'nl' | 'eof';
  v: string;
  pos: SourcePos;
}

const WORD = /[^\s#{}="]/;

function* lex(src: string, file: string): Generator<Token> {
  let i = 0;
  let line = 1;
  let col = 1;
  const pos = (): SourcePos => ({ file, line, col });
  const adv = (n = 1): void => {
    for (let k = 0; k < n; k++) {
      if (src[i] === '\n') {
        line++;
        col = 1;
      } else col++;
      i++;
    }
  };
  while (i < src.length) {
    const c = src[i] as string;
    if (c === '\n') {
      yield { t: 'nl', v: '\n', pos: pos() };
      adv();
    } else if (c === ' ' || c === '\t' || c === '\r') adv();
    else if (c === '#') while (i < src.length && src[i] !== '\n') adv();
    else if (c === '{' || c === '}' || c === '=') {
      yield { t: c, v: c, pos: pos() };
      adv();
    } else if (c === '"') {
      const p = pos();
      adv();
      let v = '';
      for (;;) {
        if (i >= src.length) throw new SettingsSyntaxError(p, 'unterminated quoted string');
        const d = src[i] as string;
        if (d === '"') {
          adv();
          break;
        }
        if (d === '\\') {
          const e = src[i + 1];
          // settings_lexer.l <str>: \n \r \t, an escaped EOL joins lines, \x is x
          if (e === '\r' && src[i + 2] === '\n') {
            adv(3);
            continue;
          }
          v += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e === '\n' ? '' : (e ?? '');
          adv(2);
          continue;
        }
        if (d !== '\r') v += d;
        adv();
      }
      yield { t: 'string', v, pos: p };
    } else {
      const p = pos();
      let v = '';
      while (i < src.length && WORD.test(src[i] as string)) {
        v += src[i];
        adv();
      }
      yield { t: 'word', v, pos: p };
    }
  }
  yield { t: 'eof', v: '', pos: pos() };
}

/** The text of a value after `=`: the rest of the line (words keep their inner spacing). */
function readValue(src: string[], toks: Token[], k: { i: number }): string {
  const first = toks[k.i];
  if (!first || first.t === 'nl' || first.t === 'eof') return '';
  if (first.t === 'string') {
    k.i++;
    return first.v;
  }
  // Unquoted (settings_lexer.l <val>): the value ends at '#', '}' or the end of the line ('=' and
  // '{' are part of it); the parser joins its words with single spaces.
  const lineText = src[first.pos.line - 1] ?? '';
  let end = first.pos.col - 1;
  while (end < lineText.length && !/[#}]/.test(lineText[end] as string)) end++;
  const text = lineText
    .slice(first.pos.col - 1, end)
    .trim()
    .split(/[\t\r ]+/)
    .join(' ');
  while (toks[k.i] && toks[k.i]?.t !== 'nl' && toks[k.i]?.t !== 'eof' && toks[k.i]?.t !== '}') {
    const t = toks[k.i] as Token;
    if (t.pos.line !== first.pos.line) break;
    if (t.pos.col - 1 >= end) break;
    k.i++;
  }
  return text;
}

export function parseSettings(file: string, fs: SettingsFs, depth = 0, into?: SettingsSection): SettingsSection {
  if (depth > 10) throw new ConfigError(file, 'include nesting deeper than 10');
  const root: SettingsSection = into ?? {
    kind: 'section',
    name: '',
    pos: { file, line: 1, col: 1 },
    children: new Map(),
  };
  let text: string;
  try {
    text = fs.readFile(file);
  } catch (e) {
    throw new ConfigError(file, `cannot read: ${e instanceof Error ? e.message : String(e)}`);
  }
  const lines = text.split('\n');
  const toks = [...lex(text, file)];
  const stack: SettingsSection[] = [root];
  const k = { i: 0 };
  while (k.i < toks.length) {
    const t = toks[k.i] as Token;
    const top = stack[stack.length - 1] as SettingsSection;
    if (t.t === 'eof') break;
    if (t.t === 'nl') {
      k.i++;
      continue;
    }
    if (t.t === '}') {
      if (stack.length === 1) throw new SettingsSyntaxError(t.pos, "unexpected '}'");
      stack.pop();
      k.i++;
      continue;
    }
    if (t.t !== 'word') throw new SettingsSyntaxError(t.pos, `unexpected ${t.t === 'string' ? 'string' : `'${t.v}'`}`);
    const next = toks[k.i + 1];
    if (t.v === 'include' && next && next.t !== '=' && next.t !== '{') {
      k.i++;
      const pattern = readValue(lines, toks, k);
      if (!pattern) throw new SettingsSyntaxError(t.pos, 'include needs a path');
      const base = fs.resolve(fs.dirname(file), pattern);
      for (const f of fs.glob(base)) parseSettings(f, fs, depth + 1, top);
      continue;
    }
    if (next?.t === '{') {
      k.i += 2;
      const existing = top.children.get(t.v);
      if (existing?.kind === 'key') throw new SettingsSyntaxError(t.pos, `'${t.v}' is a key above and a section here`);
      const sec: SettingsSection = existing ?? { kind: 'section', name: t.v, pos: t.pos, children: new Map() };
      top.children.set(t.v, sec);
      stack.push(sec);
      continue;
    }
    if (next?.t === '=') {
      k.i += 2;
      const value = readValue(lines, toks, k);
      const existing = top.children.get(t.v);
      if (existing?.kind === 'section')
        throw new SettingsSyntaxError(t.pos, `'${t.v}' is a section above and a key here`);
      top.children.set(t.v, { kind: 'key', name: t.v, value, pos: t.pos });
      continue;
    }
    if (next?.t === 'word' && toks[k.i + 2]?.t === '{' && next.v.startsWith(':')) {
      throw new SettingsSyntaxError(t.pos, 'section templates (name : template { }) are not supported by esprit');
    }
    throw new SettingsSyntaxError(t.pos, `expected '=' or '{' after '${t.v}'`);
  }
  if (stack.length > 1) {
    const open = stack[stack.length - 1] as SettingsSection;
    throw new SettingsSyntaxError(open.pos, `section '${open.name}' is not closed`);
  }
  return root;
}
