/**
 * CSV in and out for the tabular tools. Parsing and quoting are csv-parse / csv-stringify's (the
 * Adaltas CSV project, MIT, zero dependencies, RFC 4180): quoted fields with embedded commas, quotes
 * and newlines, CRLF, a UTF-8 BOM, and ragged-row detection with line numbers are exactly the cases a
 * hand-written split(',') gets wrong. Writes go to a temp file beside the target, fsynced and
 * renamed, so a failure never leaves a partial file behind.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { invalidArg, reckitError } from '../errors';
import { type CsvTableOptions, cellValue, type Table, tableFromStrings } from './table';

export interface CsvText {
  header: string[];
  records: string[][];
}

export interface ReadCsvOptions {
  /** Field delimiter (default ','). */
  delimiter?: string;
  /** When false, the first line is data and columns are named c1, c2, ... (default true). */
  header?: boolean;
}

/** Parses CSV text: a header line and at least one record, every record as wide as the header. */
export function parseCsv(text: string, options: ReadCsvOptions = {}): CsvText {
  if (typeof text !== 'string') throw invalidArg('CSV text must be a string');
  if (text.trim() === '') throw invalidArg('the CSV is empty');
  let rows: string[][];
  try {
    rows = parse(text, {
      bom: true,
      delimiter: options.delimiter ?? ',',
      trim: true,
      skip_empty_lines: true,
      relax_column_count: false,
    }) as string[][];
  } catch (error) {
    const e = error as Error & { code?: string; lines?: number };
    if (e.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' || e.code === 'CSV_RECORD_DONT_MATCH_COLUMNS_LENGTH') {
      throw invalidArg(`ragged rows: ${e.message}`);
    }
    throw invalidArg(`malformed CSV: ${e.message}`);
  }
  if (rows.length === 0) throw invalidArg('the CSV is empty');
  const withHeader = options.header ?? true;
  const header = withHeader ? rows[0] : rows[0].map((_, i) => `c${i + 1}`);
  const records = withHeader ? rows.slice(1) : rows;
  if (records.length === 0) throw invalidArg('the CSV has a header but no data rows');
  return { header, records };
}

/** Reads a UTF-8 file (invalid UTF-8 is an error, not replacement characters). */
export function readTextFile(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw reckitError('ERR_RECKIT_IO', `cannot read ${path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw reckitError('ERR_RECKIT_CORRUPT_FILE', `${path} is not valid UTF-8`);
  }
}

/** Reads a CSV file into a {@link Table}, inferring column kinds (see tableFromStrings). */
export function readCsvTable(path: string, options: ReadCsvOptions & CsvTableOptions = {}): Table {
  const { header, records } = parseCsv(readTextFile(path), options);
  return tableFromStrings(header, records, options);
}

/** A table as CSV text: a header line, missing cells empty, numbers in shortest round-trip form. */
export function formatCsv(table: Table): string {
  const rows: (string | number | boolean)[][] = [table.columns.map((c) => c.name)];
  for (let r = 0; r < table.rows; r++) {
    rows.push(table.columns.map((c) => {
      const v = cellValue(c, r);
      return v === null ? '' : v;
    }));
  }
  return stringify(rows, { cast: { boolean: (b: boolean) => String(b) } });
}

/**
 * Writes `content` to `path` atomically: a temp file in the same directory, fsynced, then renamed
 * over the target; on any failure the temp file is removed and the target is untouched.
 */
export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd = -1;
  try {
    fd = openSync(tmp, 'wx');
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (error) {
    if (fd >= 0) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // the temp file was never created or is already gone
    }
    const e = error as NodeJS.ErrnoException;
    throw reckitError('ERR_RECKIT_IO', `cannot write ${path}: ${e.message}`);
  }
}

/** Writes a table as a UTF-8 CSV file, atomically. */
export function writeCsvTable(path: string, table: Table): void {
  writeFileAtomic(path, formatCsv(table));
}
