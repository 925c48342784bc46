/**
 * The EVP backend hands plain ArrayBuffers to OpenSSL by address and copies
 * SharedArrayBuffer- and resizable-backed views through its native staging arena.
 * Both paths must give node:crypto's bytes, and neither may touch bytes outside the view.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadEvpBackend } from './evp-backend.js';
import { nodeBackend } from './node-backend.js';

type Alloc = (n: number) => Uint8Array;

const allocators: Record<string, Alloc> = {
  plain: (n) => new Uint8Array(n),
  shared: (n) => new Uint8Array(new SharedArrayBuffer(n)),
  // resizable ArrayBuffer (ES2024); the cast keeps the ES2022 lib typings happy
  resizable: (n) =>
    new Uint8Array(
      new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer)(n, {
        maxByteLength: n * 2,
      }),
    ),
};

function filled(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/** `src` placed at offset 5 of a buffer from `alloc`, guarded by 0xee bytes on both sides. */
function guarded(alloc: Alloc, src: Uint8Array): { view: Uint8Array; whole: Uint8Array } {
  const whole = alloc(src.length + 12);
  whole.fill(0xee);
  whole.set(src, 5);
  return { view: whole.subarray(5, 5 + src.length), whole };
}

function guardsIntact(whole: Uint8Array, len: number): boolean {
  for (let i = 0; i < 5; i++) if (whole[i] !== 0xee) return false;
  for (let i = 5 + len; i < whole.length; i++) if (whole[i] !== 0xee) return false;
  return true;
}

const evp = loadEvpBackend();

for (const [kind, alloc] of Object.entries(allocators)) {
  test(`EVP AES-GCM seal/open on ${kind} buffers equals node:crypto and stays inside the view`, () => {
    const key = filled(16, 1);
    const salt = filled(4, 2);
    const iv = filled(8, 3);
    const aad = filled(8, 4);
    const plain = filled(1400, 5);

    const ref = plain.slice();
    const refTag = new Uint8Array(16);
    nodeBackend.aead('aes-gcm', key, salt, 16).seal(iv, aad, ref, refTag);

    const data = guarded(alloc, plain);
    const tag = guarded(alloc, new Uint8Array(16));
    const ctx = evp.aead('aes-gcm', key, salt, 16);
    ctx.seal(iv, aad, data.view, tag.view);
    assert.deepEqual([...data.view], [...ref]);
    assert.deepEqual([...tag.view], [...refTag]);
    assert.ok(guardsIntact(data.whole, plain.length) && guardsIntact(tag.whole, 16));

    assert.equal(ctx.open(iv, aad, data.view, tag.view), true);
    assert.deepEqual([...data.view], [...plain]);
    assert.ok(guardsIntact(data.whole, plain.length));
    tag.view[0] = (tag.view[0] as number) ^ 1;
    assert.equal(ctx.open(iv, aad, data.view, tag.view), false);
  });

  test(`EVP HMAC-SHA-256 on ${kind} buffers equals node:crypto`, () => {
    const key = filled(32, 9);
    const data = guarded(alloc, filled(300, 7));
    const ref = new Uint8Array(16);
    nodeBackend.mac('sha256', key, 16).compute(data.view, Uint8Array.of(0, 0, 0, 1), ref);
    const out = guarded(alloc, new Uint8Array(16));
    evp.mac('sha256', key, 16).compute(data.view, Uint8Array.of(0, 0, 0, 1), out.view);
    assert.deepEqual([...out.view], [...ref]);
    assert.ok(guardsIntact(out.whole, 16));
  });
}
