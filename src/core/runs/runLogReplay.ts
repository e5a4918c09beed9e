import * as fs from 'node:fs';
import { parseRunEvent, type RunEvent } from './events';
import { RunLogCorruptError } from './runLogErrors';

export interface TornTail {
  /** 1-based line number of the incomplete last line. */
  readonly line: number;
  /** Bytes of it that were on disk. */
  readonly bytes: number;
}

/** The first line that is not a valid event (only with `upToDamage`): the log is read up to it. */
export interface LogDamage {
  /** 1-based line number. */
  readonly line: number;
  readonly detail: string;
  /** Byte offset where the bad line starts. */
  readonly offset: number;
}

export interface Replay {
  readonly events: RunEvent[];
  /** A crash in the middle of the last append left a partial line; it is ignored (and cut off by the next writer). */
  readonly tornTail?: TornTail;
  /** Byte length of the complete lines (up to the damage, if any). */
  readonly validBytes: number;
  /** Complete lines read. */
  readonly lines: number;
  readonly damage?: LogDamage;
}

/** Where a partial read starts: after `lines` lines and `seq` events that are already known. */
export interface ReplayFrom {
  readonly offset: number;
  readonly lines: number;
  readonly seq: number;
}

/**
 * Reads a run log. Only the LAST line may be incomplete (a crash mid-append); any invalid line
 * before it throws `RunLogCorruptError` naming the file and line — or, with `upToDamage`, ends the
 * replay there and reports it as `damage`.
 */
export function replayRunLog(file: string, options: { upToDamage?: boolean; validatedBytes?: number } = {}): Replay {
  return replayText(file, fs.readFileSync(file), options);
}

/**
 * `validatedBytes`: the first bytes of `buf` are known to hold events already validated with the
 * schema (by the writer that appended them, or an earlier full read) and unchanged since: those lines
 * are parsed and sequence-checked, not validated again. Zod validation is most of a replay's cost.
 */
export function replayText(file: string, buf: Buffer, options: { upToDamage?: boolean; from?: ReplayFrom; validatedBytes?: number } = {}): Replay {
  const events: RunEvent[] = [];
  const from = options.from ?? { offset: 0, lines: 0, seq: 0 };
  let start = 0;
  let line = from.lines;
  while (start < buf.length) {
    line++;
    const nl = buf.indexOf(10, start);
    if (nl === -1) {
      // No newline: this append never finished. Tolerated whether or not the fragment happens to parse.
      return { events, tornTail: { line, bytes: buf.length - start }, validBytes: from.offset + start, lines: line - 1 };
    }
    const problem = parseLine(buf.toString('utf8', start, nl), from.seq + events.length, events, from.offset + nl < (options.validatedBytes ?? 0));
    if (problem !== undefined) {
      if (!options.upToDamage) throw new RunLogCorruptError(file, line, problem);
      return { events, validBytes: from.offset + start, lines: line - 1, damage: { line, detail: problem, offset: from.offset + start } };
    }
    start = nl + 1;
  }
  return { events, validBytes: from.offset + start, lines: line };
}

/** Parses one line into `into`; returns what is wrong with it, if anything. */
function parseLine(text: string, expectedSeq: number, into: RunEvent[], validated: boolean): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return `not JSON: ${(e as Error).message}`;
  }
  if (validated) {
    const event = value as RunEvent;
    if (event.seq !== expectedSeq) return `sequence ${String(event.seq)} where ${expectedSeq} was expected`;
    into.push(event);
    return undefined;
  }
  const parsed = parseRunEvent(value);
  if (!parsed.ok) return parsed.error;
  if (parsed.event.seq !== expectedSeq) return `sequence ${parsed.event.seq} where ${expectedSeq} was expected`;
  into.push(parsed.event);
  return undefined;
}
