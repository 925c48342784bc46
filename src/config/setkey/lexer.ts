/**
 * Tokenizer for the setkey(8) configuration language, modeled on ipsec-tools
 * `src/setkey/token.l` (NetBSD crypto/dist/ipsec-tools, KAME token.l 1.44):
 *
 *   `#` to end of line        comment
 *   `;`                       end of statement (EOT)
 *   `/` `[` `]`               address punctuation (SLASH, BLCL, ELCL): `a/24[80]`, `a [4500]`
 *   `"..."`                   quoted string (no escapes; may span lines)
 *   0x[0-9a-f]+               hex string
 *   [0-9]+                    decimal string
 *   other runs of [A-Za-z0-9:._%+,-]   words: keywords, options (-m, -E, -46n), addresses
 *
 * After `-P` token.l switches to state S_PL and hands everything up to the next `;`
 * to ipsec_set_policy(3) as one string; `readPolicyText()` does the same here.
 * The lexer is pull-based so the parser can make that switch.
 */
import { SetkeyError, type SourcePos } from './setkey-error.js';

export type TokenKind = 'word' | 'number' | 'hex' | 'string' | 'semi' | 'slash' | 'lbracket' | 'rbracket' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** source text (for strings: the contents without the quotes) */
  readonly text: string;
  readonly pos: SourcePos;
  /** offset of the first character in the source */
  readonly offset: number;
}

const WORD_CHAR = /[A-Za-z0-9:._%+,-]/;
const EOF_TEXT = '<end of input>';

export class SetkeyLexer {
  readonly file: string;
  private readonly src: string;
  private off = 0;
  private readonly lineStarts: number[] = [0];
  private peeked: Token | undefined;

  constructor(src: string, file: string) {
    this.src = src;
    this.file = file;
    for (let i = 0; i < src.length; i++) if (src.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  /** 1-based line/column of a source offset. */
  locate(offset: number): SourcePos {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.lineStarts[lo] as number) + 1 };
  }

  error(tok: Token, detail: string): SetkeyError {
    return new SetkeyError(this.file, tok.pos, tok.kind === 'eof' ? EOF_TEXT : tok.text, detail);
  }

  errorAt(offset: number, token: string, detail: string): SetkeyError {
    return new SetkeyError(this.file, this.locate(offset), token, detail);
  }

  peek(): Token {
    if (!this.peeked) this.peeked = this.scan();
    return this.peeked;
  }

  next(): Token {
    const t = this.peek();
    this.peeked = undefined;
    return t;
  }

  private skipBlanksAndComments(): void {
    const s = this.src;
    while (this.off < s.length) {
      const c = s[this.off] as string;
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.off++;
      else if (c === '#') {
        while (this.off < s.length && s[this.off] !== '\n') this.off++;
      } else break;
    }
  }

  private scan(): Token {
    this.skipBlanksAndComments();
    const s = this.src;
    const start = this.off;
    const pos = this.locate(start);
    if (start >= s.length) return { kind: 'eof', text: '', pos, offset: start };
    const c = s[start] as string;
    const single: Record<string, TokenKind> = { ';': 'semi', '/': 'slash', '[': 'lbracket', ']': 'rbracket' };
    const k = single[c];
    if (k) {
      this.off++;
      return { kind: k, text: c, pos, offset: start };
    }
    if (c === '"') {
      const end = s.indexOf('"', start + 1);
      if (end < 0) throw new SetkeyError(this.file, pos, s.slice(start, start + 20), 'unterminated quoted string');
      this.off = end + 1;
      return { kind: 'string', text: s.slice(start + 1, end), pos, offset: start };
    }
    if (!WORD_CHAR.test(c)) throw new SetkeyError(this.file, pos, c, 'unexpected character');
    let end = start;
    while (end < s.length && WORD_CHAR.test(s[end] as string)) end++;
    this.off = end;
    const text = s.slice(start, end);
    const kind: TokenKind = /^0[xX][0-9a-fA-F]+$/.test(text) ? 'hex' : /^[0-9]+$/.test(text) ? 'number' : 'word';
    return { kind, text, pos, offset: start };
  }

  /**
   * The raw policy text after `-P`, up to (not including) the next `;` outside a
   * comment, with `#` comments blanked out (token.l S_PL state). The `;` is left
   * for the parser. Throws when the input ends first.
   */
  readPolicyText(): { text: string; offset: number } {
    if (this.peeked) throw new Error('assertion failed: readPolicyText after peek');
    const s = this.src;
    const start = this.off;
    let out = '';
    let i = start;
    while (i < s.length && s[i] !== ';') {
      if (s[i] === '#') {
        while (i < s.length && s[i] !== '\n') {
          out += ' ';
          i++;
        }
        continue;
      }
      out += s[i];
      i++;
    }
    if (i >= s.length) throw new SetkeyError(this.file, this.locate(i), EOF_TEXT, "policy is not terminated by ';'");
    this.off = i;
    return { text: out, offset: start };
  }
}
