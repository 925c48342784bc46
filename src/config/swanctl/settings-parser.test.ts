/**
 * strongSwan's settings syntax. Expected trees and positions hand-derived from the grammar of
 * strongSwan's src/libstrongswan/settings/settings_lexer.l (value state ends at '#', '}' or
 * newline; words joined by one space; string escapes \n \r \t, escaped EOL joins lines, \x is x)
 * and settings_parser.y (sections merge, later keys override).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConfigError } from '../../util/errors.js';
import { parseSettings, type SettingsFs, type SettingsKey, type SettingsSection } from './settings-parser.js';
import { loadSwanctl } from './swanctl-load.js';

function fsOf(files: Record<string, string>): SettingsFs {
  return {
    readFile: (p) => {
      const f = files[p];
      if (f === undefined) throw new Error(`ENOENT ${p}`);
      return f;
    },
    glob: (p) =>
      Object.keys(files)
        .filter((f) =>
          p.includes('*')
            ? f.startsWith(p.slice(0, p.indexOf('*'))) && f.endsWith(p.slice(p.indexOf('*') + 1))
            : f === p,
        )
        .sort(),
    dirname: (p) => p.slice(0, p.lastIndexOf('/')) || '/',
    resolve: (d, p) => (p.startsWith('/') ? p : `${d}/${p}`),
  };
}

const parse = (text: string, extra: Record<string, string> = {}): SettingsSection =>
  parseSettings('/c/s.conf', fsOf({ '/c/s.conf': text, ...extra }));

function key(root: SettingsSection, ...path: string[]): SettingsKey {
  let n: SettingsSection | SettingsKey | undefined = root;
  for (const p of path) n = n?.kind === 'section' ? n.children.get(p) : undefined;
  assert.ok(n?.kind === 'key', path.join('.'));
  return n;
}

test('values: to #, } or end of line; = and { kept; words joined by one space', () => {
  const r = parse('a {\n  id = C=CH,   O=x { y   # comment\n  b = 1 }\nc = "q\\"uo\\\\te\\tx"\n');
  assert.equal(key(r, 'a', 'id').value, 'C=CH, O=x { y');
  assert.deepEqual(key(r, 'a', 'id').pos, { file: '/c/s.conf', line: 2, col: 3 });
  assert.equal(key(r, 'a', 'b').value, '1');
  assert.equal(key(r, 'c').value, 'q"uo\\te\tx');
  assert.deepEqual(key(r, 'c').pos, { file: '/c/s.conf', line: 4, col: 1 });
});

test('quoted strings span lines; a backslash before the newline joins them', () => {
  const r = parse('a = "one\ntwo"\nb = "three \\\nfour"\nc = 5\n');
  assert.equal(key(r, 'a').value, 'one\ntwo');
  assert.equal(key(r, 'b').value, 'three four');
  assert.deepEqual(key(r, 'c').pos, { file: '/c/s.conf', line: 5, col: 1 });
});

test('sections merge, later keys override; includes are relative to the including file', () => {
  const r = parse('s {\n  k = 1\n}\ninclude d/*.conf\ns {\n  k = 3\n}\n', {
    '/c/d/x.conf': 's {\n  k = 2\n  j = x\n}\n',
  });
  assert.equal(key(r, 's', 'k').value, '3');
  assert.deepEqual(key(r, 's', 'k').pos, { file: '/c/s.conf', line: 6, col: 3 });
  assert.deepEqual(key(r, 's', 'j').pos, { file: '/c/d/x.conf', line: 3, col: 3 });
});

test('syntax errors name file, line and column', () => {
  const cases: [string, RegExp][] = [
    ['a {\n  b = 1\n}\n}\n', /^\/c\/s\.conf:4:1: unexpected '}'/],
    ['a {\n  b c\n}\n', /^\/c\/s\.conf:2:3: expected '=' or '\{' after 'b'/],
    ['a = "open\n', /^\/c\/s\.conf:1:5: unterminated quoted string/],
    ['x {\n  a {\n', /^\/c\/s\.conf:2:3: section 'a' is not closed/],
    ['"s" = 1\n', /^\/c\/s\.conf:1:1: unexpected string/],
  ];
  for (const [text, re] of cases)
    assert.throws(
      () => parse(text),
      (e: Error) => re.test(e.message),
      text,
    );
});

test('property: any input either parses or is a ConfigError; the loader never throws', () => {
  const piece = fc.constantFrom(
    'a',
    'connections',
    'children',
    'x',
    ' ',
    '\t',
    '\n',
    '{',
    '}',
    '=',
    '"',
    '\\',
    '#',
    'include',
    '*',
    '0x',
    ',',
    '/',
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 60 }), (parts) => {
      const text = parts.join('');
      try {
        parse(text);
      } catch (e) {
        if (!(e instanceof ConfigError)) return false;
      }
      const files: Record<string, string> = { '/c/s.conf': text };
      const r = loadSwanctl('/c/s.conf', { ...fsOf(files), exists: () => false, listDir: () => [] });
      return r.errors.every((e) => e instanceof ConfigError) && (r.config !== undefined) === (r.errors.length === 0);
    }),
    { numRuns: 500 },
  );
});
