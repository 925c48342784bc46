import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { WireError } from '../../util/errors.js';
import {
  decodeControlRequest,
  decodeControlResponse,
  encodeControlLine,
  splitControlLines,
} from './control-message.js';

const enc = (s: string) => new TextEncoder().encode(s);

test('requests: status decodes; unknown cmd, non-object and non-JSON are WireErrors with paths', () => {
  assert.deepEqual(decodeControlRequest('{"cmd":"status"}'), { cmd: 'status' });
  assert.throws(() => decodeControlRequest('{"cmd":"reboot"}'), { code: 'unsupported', path: 'control.request.cmd' });
  assert.throws(() => decodeControlRequest('{"cmd":7}'), { code: 'bad-value', path: 'control.request.cmd' });
  assert.throws(() => decodeControlRequest('[1]'), { code: 'bad-value', path: 'control.request' });
  assert.throws(() => decodeControlRequest('{"cmd":'), { code: 'bad-value', path: 'control.request' });
});

test('lines: split at \\n, CRLF tolerated, partial tail kept, over-long line refused', () => {
  const r = splitControlLines(enc('{"a":1}\r\n{"b":2}\n{"c"'));
  assert.deepEqual(r.lines, ['{"a":1}', '{"b":2}']);
  assert.equal(new TextDecoder().decode(r.rest), '{"c"');
  assert.throws(() => splitControlLines(enc('x'.repeat(20)), 10), { code: 'bad-value', path: 'control.line[0]' });
  assert.throws(() => splitControlLines(enc(`ok\n${'y'.repeat(11)}\n`), 10), {
    code: 'bad-value',
    path: 'control.line[1]',
  });
  assert.throws(() => splitControlLines(new Uint8Array([0xff, 0xfe, 0x0a])), { code: 'bad-value' });
});

test('responses: envelope checked; an encoded line ends with one newline and decodes back', () => {
  const status = {
    version: '0.1.0',
    uptimeSeconds: 3,
    sockets: [],
    sas: [],
    policies: [],
    counters: { drops: 0 },
    engine: {},
  };
  const line = encodeControlLine({ ok: true, status });
  assert.equal(line[line.length - 1], 0x0a);
  assert.equal(line.indexOf(0x0a), line.length - 1);
  const back = decodeControlResponse(new TextDecoder().decode(line.subarray(0, -1)));
  assert.deepEqual(back, { ok: true, status });
  assert.deepEqual(decodeControlResponse('{"ok":false,"error":"x"}'), { ok: false, error: 'x' });
  assert.throws(() => decodeControlResponse('{"ok":true,"status":{"sas":{}}}'), {
    path: 'control.response.status.sockets',
  });
  assert.throws(() => decodeControlResponse('{"ok":"yes"}'), { path: 'control.response.ok' });
});

test('random input to the decoders yields only WireError', () => {
  fc.assert(
    fc.property(fc.string(), (s) => {
      for (const f of [decodeControlRequest, decodeControlResponse]) {
        try {
          f(s);
        } catch (e) {
          assert.ok(e instanceof WireError, String(e));
        }
      }
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      try {
        splitControlLines(b, 16);
      } catch (e) {
        assert.ok(e instanceof WireError, String(e));
      }
    }),
    { numRuns: 300 },
  );
});

test('responses: an optional dataplane object is checked (arrays where the shape says so)', () => {
  const base = '"version":"0","uptimeSeconds":1,"sockets":[],"sas":[],"policies":[],"counters":{},"engine":{}';
  const dp =
    '"tun":{"name":"t","mtu":1400,"counters":{}},"rawEsp":[],"listeners":[],"sas":[],"keepalives":[],"totals":{},"drops":{}';
  const ok = decodeControlResponse(`{"ok":true,"status":{${base},"dataplane":{${dp}}}}`);
  assert.ok(ok.ok && ok.status.dataplane?.tun.name === 't');
  assert.throws(() => decodeControlResponse(`{"ok":true,"status":{${base},"dataplane":[]}}`), {
    code: 'bad-value',
    path: 'control.response.status.dataplane',
  });
  assert.throws(
    () => decodeControlResponse(`{"ok":true,"status":{${base},"dataplane":{${dp.replace('"sas":[]', '"sas":{}')}}}}`),
    { code: 'bad-value', path: 'control.response.status.dataplane.sas' },
  );
});
