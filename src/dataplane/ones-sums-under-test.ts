/**
 * Test support: the checksum loops the TUN offload tests run against: JavaScript (the
 * fallback) and the native helper (native/esprit-csum.c) whenever it loads. Under CI
 * (CI=true) a helper that does not load is an error, so a CI machine without a built
 * helper fails instead of silently testing less (as crypto/backends-under-test.ts).
 */
import { loadNativeAddon } from '../crypto/native-addon.js';
import { OnesSum } from './ones-sum.js';

export interface OnesSumVariant {
  readonly name: 'js' | 'native';
  /** a fresh OnesSum (its nativeCalls counts from 0) */
  readonly make: () => OnesSum;
}

export function onesSumsUnderTest(): OnesSumVariant[] {
  const list: OnesSumVariant[] = [{ name: 'js', make: () => new OnesSum() }];
  try {
    const addon = loadNativeAddon();
    list.push({ name: 'native', make: () => new OnesSum(addon) });
  } catch (e) {
    if (process.env.CI === 'true') throw e;
    process.emitWarning(`checksum tests run without the native helper: ${(e as Error).message}`);
  }
  return list;
}
