// Module boundaries (docs/architecture.md, ../shared/docs/STYLE.md §3.2), checked in `npm test`.
const core = '^src/(util|wire|crypto|sad|esp|udpencap|pfkey|config|capture|dataplane|eap|ike|ikev1|ikev2)/';
const allow = (from, to) => ({ from, to });
/** who may import whom: layer -> allowed layers (besides itself) */
const matrix = {
  util: [],
  wire: ['util'],
  crypto: ['util'],
  sad: ['util', 'wire', 'crypto'],
  esp: ['util', 'wire', 'crypto', 'sad'],
  udpencap: ['util', 'wire'],
  pfkey: ['util', 'wire', 'crypto', 'sad'],
  config: ['util', 'wire', 'crypto', 'sad'],
  capture: ['util', 'wire', 'crypto', 'sad', 'esp', 'udpencap', 'config'],
  dataplane: ['util', 'wire', 'crypto', 'sad', 'esp', 'udpencap', 'pfkey'],
  // EAP methods (RFC 3748): sans-IO state machines over wire/eap codecs and crypto/eap
  eap: ['util', 'wire', 'crypto'],
  // IKE (STYLE.md §3.2): ike/ is shared by both versions; ikev2/ never reaches sad/, esp/ or dataplane/
  ike: ['util', 'wire', 'crypto', 'config', 'pfkey'],
  ikev2: ['util', 'wire', 'crypto', 'config', 'pfkey', 'ike', 'eap'],
  // ikev1/ and ikev2/ never import each other; shared pieces live in ike/
  ikev1: ['util', 'wire', 'crypto', 'config', 'pfkey', 'ike'],
  io: ['util'],
};
const layerRules = Object.entries(matrix).map(([layer, ok]) => ({
  name: `layer-${layer}`,
  comment: `${layer}/ may import only ${ok.join(', ') || 'nothing outside itself'}`,
  severity: 'error',
  from: { path: `^src/${layer}/`, pathNot: '\\.test\\.ts$' },
  to: { path: '^src/', pathNot: `^src/(${[layer, ...ok].join('|')})/` },
}));
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'pfkey-sad-only-keyd',
      comment: 'in pfkey/, only key-engine files may reach the SAD (STYLE.md §3.2)',
      severity: 'error',
      from: { path: '^src/pfkey/', pathNot: '^src/pfkey/(keyd|key-engine|spd-engine)[^/]*\\.ts$|\\.test\\.ts$' },
      to: { path: '^src/sad/' },
    },
    {
      name: 'io-only-in-io',
      comment: 'sans-IO cores never touch sockets, files, processes or timers',
      severity: 'error',
      from: { path: core, pathNot: '\\.test\\.ts$' },
      to: { path: '^(node:)?(dgram|net|fs|fs/promises|child_process|worker_threads|timers|timers/promises|os|tls|http|https)$' },
    },
    {
      name: 'node-crypto-only-in-crypto',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/crypto/|\\.test\\.ts$' },
      to: { path: '^(node:)?crypto$' },
    },
    {
      name: 'ffi-only-in-io-and-crypto',
      comment: 'koffi is used for TUN/sockets (io/) and for libcrypto EVP (crypto/evp-*)',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(io|crypto)/|\\.test\\.ts$' },
      to: { path: 'node_modules/koffi' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '^dist/' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
