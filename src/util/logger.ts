/**
 * Logger with a subsystem tag (strongSwan DBG_* style). Cores receive a Logger;
 * only the composition roots decide where lines go.
 */
export type Subsystem = 'esp' | 'enc' | 'net' | 'pfkey' | 'cfg' | 'ike' | 'tun' | 'ctl' | 'daemon';
export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: Level, sub: Subsystem, msg: string): void;
}

export const nullLogger: Logger = { log() {} };

/** Collects lines in memory (tests). */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  log(level: Level, sub: Subsystem, msg: string): void {
    this.lines.push(`${level} [${sub}] ${msg}`);
  }
}
