/**
 * The daemon's Logger: one line per event on stderr, `<ISO time> <level> [<subsystem>] <msg>`,
 * filtered by a minimum level. Cores only see the Logger interface.
 */
import type { Level, Logger, Subsystem } from '../util/logger.js';

export const LOG_LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error'];

export function isLogLevel(s: string): s is Level {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

/** A logger writing to `write` (default: process.stderr) at `min` and above. */
export function createStderrLogger(
  min: Level = 'info',
  write: (line: string) => void = (l) => process.stderr.write(l),
): Logger {
  const floor = LOG_LEVELS.indexOf(min);
  return {
    log(level: Level, sub: Subsystem, msg: string): void {
      if (LOG_LEVELS.indexOf(level) < floor) return;
      write(`${new Date().toISOString()} ${level} [${sub}] ${msg}\n`);
    },
  };
}

/**
 * Per-subsystem minimum levels (`esprit { log { ike = debug, default = info } }`): a line is
 * written when its level reaches the subsystem's level, else `default`, else `fallback`.
 */
export function createSubsystemLogger(
  fallback: Level,
  levels: Readonly<Record<string, string>>,
  write: (line: string) => void = (l) => process.stderr.write(l),
): Logger {
  const floor = (sub: Subsystem): number => {
    const l = levels[sub] ?? levels.default ?? fallback;
    return LOG_LEVELS.indexOf(isLogLevel(l) ? l : fallback);
  };
  return {
    log(level: Level, sub: Subsystem, msg: string): void {
      if (LOG_LEVELS.indexOf(level) < floor(sub)) return;
      write(`${new Date().toISOString()} ${level} [${sub}] ${msg}\n`);
    },
  };
}
