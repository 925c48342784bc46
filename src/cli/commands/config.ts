/**
 * `esprit config check FILE`: parse and validate a swanctl.conf-style file only; print every
 * error as `file:line:col: key.path: message` and exit 1, or a summary and exit 0.
 */
import { configWarnings } from '../../config/swanctl/config-warnings.js';
import { loadConfigFile } from '../load-config.js';

const USAGE = `usage: esprit config check FILE
  Parse and validate FILE (strongSwan swanctl.conf syntax, docs/configuration.md); print
  every error with its file, line, column and key path; exit 0 when valid, 1 otherwise.
  Warnings (weak or not yet negotiated settings) go to stderr and do not change the status.`;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const [sub, file, ...rest] = argv;
  if (sub !== 'check' || !file || rest.length > 0) {
    console.error(USAGE);
    return 2;
  }
  const r = loadConfigFile(file);
  for (const e of r.errors) console.error(e);
  if (!r.config) return 1;
  const c = r.config;
  for (const w of configWarnings(c)) console.error(`${w.where}: warning: ${w.message}`);
  const children = c.connections.reduce((n, x) => n + x.children.length, 0);
  console.log(
    `${file}: ok: ${c.connections.length} connection(s), ${children} child(ren), ${c.pools.length} pool(s), ${c.secrets.ike.length} IKE secret(s)`,
  );
  return 0;
}
