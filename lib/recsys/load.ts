/**
 * Loading interaction logs from delimited text (CSV, TSV, MovieLens `::`): separator detection, header or
 * `columns`, string or numeric ids remapped to dense indices, malformed rows counted and reported (never
 * fatal unless nothing is left). Hand-written rather than a CSV package: the format here is narrow (one
 * record per line, a few columns), we need per-row error accounting and multi-character separators, and
 * the addon keeps no runtime JS dependencies beyond its loader.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { invalidArg, reckitError } from '../errors';
import { IdMap, makeInteractions, type Interactions } from './interactions';

/** What a column of the file is used for. `skip` ignores it. */
export type ColumnRole = 'user' | 'item' | 'rating' | 'time' | 'skip';

const ROLES: readonly ColumnRole[] = ['user', 'item', 'rating', 'time', 'skip'];

/** Separators tried by detection, in order of preference when several fit equally. */
const SEPARATORS = ['\t', '::', ',', ';', '|', ' '] as const;

/** Header names recognised for each role (compared lower-case, without spaces, dashes or underscores). */
const ALIASES: Record<Exclude<ColumnRole, 'skip'>, string[]> = {
  user: ['user', 'userid', 'uid', 'customer', 'customerid', 'visitor', 'visitorid', 'member', 'memberid', 'session', 'sessionid', 'reviewer', 'reviewerid'],
  item: ['item', 'itemid', 'iid', 'movie', 'movieid', 'product', 'productid', 'sku', 'article', 'articleid', 'asin', 'track', 'trackid', 'book', 'isbn'],
  rating: ['rating', 'score', 'weight', 'value', 'count', 'quantity', 'qty', 'stars', 'rank', 'clicks', 'playcount'],
  time: ['time', 'timestamp', 'ts', 'date', 'datetime', 'eventtime', 'createdat', 'unixtime'],
};

export interface LoadOptions {
  /** Field separator; default: detected from the first lines (tab, `::`, comma, semicolon, pipe, space). */
  sep?: string;
  /**
   * The file's columns in order, by role (`'user,item,rating,time'`; `skip` or `_` for ignored fields),
   * or header names picked per role (`'user=customer_id,item=sku'`, needs a header). Default: named by the
   * header when there is one, else `user,item[,rating[,time]]` by field count.
   */
  columns?: string | string[];
  /** Whether the first line is a header. Default `'auto'`: it is when it names at least two known columns. */
  header?: boolean | 'auto';
  /** How many malformed-row examples the report keeps (default 5). */
  maxExamples?: number;
}

export interface MalformedRow {
  line: number;
  reason: string;
  text: string;
}

export interface LoadReport {
  separator: string;
  /** The header line's fields, or null when there was none. */
  header: string[] | null;
  /** The role of each used field: field index → role. */
  columns: { role: ColumnRole; field: number; name: string | null }[];
  /** Non-empty data lines read (header excluded). */
  lines: number;
  loaded: number;
  malformed: number;
  examples: MalformedRow[];
  /** Whether ids were numeric (every id a canonical integer) or strings. */
  userIdType: 'number' | 'string';
  itemIdType: 'number' | 'string';
}

export interface LoadResult {
  interactions: Interactions;
  report: LoadReport;
}

/** Reads and parses an interaction file off the event loop's critical path (async read, parsing in slices). */
export async function loadInteractions(path: string, options: LoadOptions = {}): Promise<LoadResult> {
  if (typeof path !== 'string' || path.length === 0) throw invalidArg('path must be a non-empty string');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw reckitError('ERR_RECKIT_IO', `cannot read ${path}: ${(error as Error).message}`);
  }
  return parseInteractionsAsync(text, options, path);
}

/** Like {@link loadInteractions}, reading and parsing synchronously. */
export function loadInteractionsSync(path: string, options: LoadOptions = {}): LoadResult {
  if (typeof path !== 'string' || path.length === 0) throw invalidArg('path must be a non-empty string');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw reckitError('ERR_RECKIT_IO', `cannot read ${path}: ${(error as Error).message}`);
  }
  return parseInteractions(text, options, path);
}

/** Parses delimited text into interactions; `source` names the input in messages. */
export function parseInteractions(text: string, options: LoadOptions = {}, source = 'input'): LoadResult {
  const steps = parseSteps(text, options, source);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/**
 * Like {@link parseInteractions}, yielding to the event loop every `LINES_PER_SLICE` (65536) lines so a
 * large file does not stall timers and requests while it parses.
 */
export async function parseInteractionsAsync(text: string, options: LoadOptions = {}, source = 'input'): Promise<LoadResult> {
  const steps = parseSteps(text, options, source);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Lines parsed between two yields of the async parser (tens of milliseconds of work). */
const LINES_PER_SLICE = 65536;

/** The parser as a generator: it yields between slices of lines and returns the result. */
function* parseSteps(text: string, options: LoadOptions, source: string): Generator<void, LoadResult, void> {
  if (typeof text !== 'string') throw invalidArg('text must be a string');
  if (options === null || typeof options !== 'object') throw invalidArg('options must be an object');
  const maxExamples = options.maxExamples ?? 5;
  const lines = text.split('\n');
  let first = 0;
  while (first < lines.length && lines[first].trim() === '') first++;
  if (first === lines.length) throw reckitError('ERR_RECKIT_CORRUPT_FILE', `${source} is empty: no interactions to load`);
  if (first === 0 && lines[0].charCodeAt(0) === 0xfeff) lines[0] = lines[0].slice(1); // UTF-8 byte-order mark

  const sep = options.sep === undefined ? detectSeparator(lines, first) : checkSeparator(options.sep);
  const firstFields = splitLine(stripCr(lines[first]), sep) ?? [];
  const spec = parseColumnSpec(options.columns);
  const headerOpt = options.header ?? 'auto';
  if (headerOpt !== true && headerOpt !== false && headerOpt !== 'auto') throw invalidArg("header must be true, false or 'auto'");
  const isHeader = headerOpt === 'auto' ? spec.byName || looksLikeHeader(firstFields) : headerOpt;
  const header = isHeader ? firstFields.map((f) => f.trim()) : null;
  const columns = resolveColumns(spec, header, firstFields.length, source, sep);

  const field: Record<Exclude<ColumnRole, 'skip'>, number> = { user: -1, item: -1, rating: -1, time: -1 };
  for (const c of columns) if (c.role !== 'skip') field[c.role] = c.field;
  const needed = Math.max(field.user, field.item, field.rating, field.time) + 1;

  const userTokens = new IdMap();
  const itemTokens = new IdMap();
  const users: number[] = [];
  const items: number[] = [];
  const ratings: number[] = [];
  const times: number[] = [];
  const examples: MalformedRow[] = [];
  let malformed = 0;
  let dataLines = 0;
  const bad = (line: number, reason: string, raw: string): void => {
    malformed++;
    if (examples.length < maxExamples) examples.push({ line: line + 1, reason, text: raw.length > 120 ? `${raw.slice(0, 117)}...` : raw });
  };

  for (let l = isHeader ? first + 1 : first; l < lines.length; l++) {
    if (l % LINES_PER_SLICE === 0 && l > 0) yield;
    const raw = stripCr(lines[l]);
    if (raw.length === 0 || (raw.charCodeAt(0) <= 32 && raw.trim() === '')) continue;
    dataLines++;
    const fields = splitLine(raw, sep);
    if (fields === null) {
      bad(l, 'unterminated quote', raw);
      continue;
    }
    if (fields.length < needed) {
      bad(l, `${fields.length} field(s), expected at least ${needed}`, raw);
      continue;
    }
    const user = trimmed(fields[field.user]);
    const item = trimmed(fields[field.item]);
    if (user === '' || item === '') {
      bad(l, `empty ${user === '' ? 'user' : 'item'} id`, raw);
      continue;
    }
    let rating = 1;
    if (field.rating >= 0) {
      rating = parseNumber(fields[field.rating]);
      if (!Number.isFinite(rating)) {
        bad(l, `rating '${fields[field.rating].trim()}' is not a finite number`, raw);
        continue;
      }
    }
    let time = dataLines - 1;
    if (field.time >= 0) {
      time = parseTime(fields[field.time]);
      if (!Number.isFinite(time)) {
        bad(l, `time '${fields[field.time].trim()}' is neither a number nor a date`, raw);
        continue;
      }
    }
    users.push(userTokens.add(user));
    items.push(itemTokens.add(item));
    ratings.push(rating);
    times.push(time);
  }
  if (users.length === 0) {
    const why = malformed > 0 ? `all ${malformed} data line(s) are malformed (first: line ${examples[0].line}: ${examples[0].reason})` : 'no data lines after the header';
    throw reckitError('ERR_RECKIT_CORRUPT_FILE', `${source} has no usable interactions: ${why}`);
  }
  const userIds = numericIfCanonical(userTokens);
  const itemIds = numericIfCanonical(itemTokens);
  const interactions = makeInteractions(
    { users: Int32Array.from(users), items: Int32Array.from(items), ratings: Float32Array.from(ratings), times: Float64Array.from(times) },
    userIds,
    itemIds,
    field.time >= 0,
  );
  return {
    interactions,
    report: {
      separator: sep,
      header,
      columns,
      lines: dataLines,
      loaded: users.length,
      malformed,
      examples,
      userIdType: userIds.allNumeric() ? 'number' : 'string',
      itemIdType: itemIds.allNumeric() ? 'number' : 'string',
    },
  };
}

interface ColumnSpec {
  /** Positional roles, or null when not given. */
  roles: ColumnRole[] | null;
  /** Header names per role when given as `role=name`. */
  names: Partial<Record<ColumnRole, string>>;
  byName: boolean;
}

function parseColumnSpec(columns: string | string[] | undefined): ColumnSpec {
  if (columns === undefined) return { roles: null, names: {}, byName: false };
  const list = typeof columns === 'string' ? columns.split(',') : columns;
  if (!Array.isArray(list) || list.some((c) => typeof c !== 'string')) throw invalidArg('columns must be a string or an array of strings');
  const entries = list.map((c) => c.trim());
  const byName = entries.some((e) => e.includes('='));
  if (byName && !entries.every((e) => e.includes('='))) {
    throw invalidArg(`columns: either name every column's role in order ('user,item,rating') or pick header names ('user=customer_id,item=sku'), not both`);
  }
  const roleOf = (word: string): ColumnRole => {
    const w = word.trim().toLowerCase();
    if (w === '_' || w === '' || w === 'skip') return 'skip';
    if ((ROLES as readonly string[]).includes(w)) return w as ColumnRole;
    throw invalidArg(`columns: unknown column '${word}' (known: ${ROLES.join(', ')}; '_' also skips)`);
  };
  const seen = new Set<ColumnRole>();
  const claim = (role: ColumnRole): void => {
    if (role === 'skip') return;
    if (seen.has(role)) throw invalidArg(`columns: '${role}' is given twice`);
    seen.add(role);
  };
  if (byName) {
    const names: Partial<Record<ColumnRole, string>> = {};
    for (const e of entries) {
      const [role, ...rest] = e.split('=');
      const r = roleOf(role);
      if (r === 'skip') throw invalidArg(`columns: '${e}' names no role`);
      claim(r);
      names[r] = rest.join('=').trim();
    }
    if (!seen.has('user') || !seen.has('item')) throw invalidArg('columns must include user and item');
    return { roles: null, names, byName: true };
  }
  const roles = entries.map(roleOf);
  roles.forEach(claim);
  if (!seen.has('user') || !seen.has('item')) throw invalidArg('columns must include user and item');
  return { roles, names: {}, byName: false };
}

function resolveColumns(spec: ColumnSpec, header: string[] | null, width: number, source: string, sep: string): LoadReport['columns'] {
  if (spec.byName) {
    if (!header) throw invalidArg(`columns picks header names but ${source} has no header`);
    const lower = header.map(normalizeName);
    return (Object.entries(spec.names) as [ColumnRole, string][]).map(([role, name]) => {
      const field = header.indexOf(name) >= 0 ? header.indexOf(name) : lower.indexOf(normalizeName(name));
      if (field < 0) throw invalidArg(`columns: unknown column '${name}' (the header has: ${header.join(', ')})`);
      return { role, field, name: header[field] };
    });
  }
  if (spec.roles) {
    return spec.roles.map((role, field) => ({ role, field, name: header ? header[field] ?? null : null })).filter((c) => c.role !== 'skip');
  }
  if (header) {
    const out: LoadReport['columns'] = [];
    for (const role of ['user', 'item', 'rating', 'time'] as const) {
      const field = header.findIndex((h) => ALIASES[role].includes(normalizeName(h)));
      if (field >= 0) out.push({ role, field, name: header[field] });
    }
    if (!out.some((c) => c.role === 'user') || !out.some((c) => c.role === 'item')) {
      throw invalidArg(`cannot tell the user and item columns from the header (${header.join(', ')}); pass columns, e.g. 'user=${header[0]},item=${header[1] ?? '...'}'`);
    }
    return out;
  }
  if (width < 2) throw invalidArg(`${source}: the first line has ${width} field(s) with separator ${JSON.stringify(sep)}; need at least user and item (pass sep or columns)`);
  const roles: ColumnRole[] = ['user', 'item', 'rating', 'time'].slice(0, Math.min(width, 4)) as ColumnRole[];
  return roles.map((role, field) => ({ role, field, name: null }));
}

function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/[\s_\-.]/g, '');
}

function looksLikeHeader(fields: string[]): boolean {
  let known = 0;
  for (const f of fields) {
    const n = normalizeName(f);
    if (Object.values(ALIASES).some((list) => list.includes(n))) known++;
  }
  return known >= 2;
}

function checkSeparator(sep: unknown): string {
  if (typeof sep !== 'string' || sep.length === 0 || sep.includes('\n') || sep.includes('"')) {
    throw invalidArg('sep must be a non-empty string without newlines or quotes');
  }
  return sep === '\\t' || sep.toLowerCase() === 'tab' ? '\t' : sep;
}

/** Picks the separator that splits the first lines into the same number (>= 2) of fields. */
function detectSeparator(lines: string[], first: number): string {
  const sample: string[] = [];
  for (let l = first; l < lines.length && sample.length < 20; l++) if (lines[l].trim() !== '') sample.push(stripCr(lines[l]));
  let best: string | null = null;
  let bestScore = 0;
  for (const sep of SEPARATORS) {
    const counts = sample.map((line) => (splitLine(line, sep) ?? []).length);
    const width = mode(counts);
    if (width < 2) continue;
    const agree = counts.filter((c) => c === width).length / counts.length;
    if (agree > bestScore + 1e-9) {
      best = sep;
      bestScore = agree;
    }
  }
  if (best === null) throw invalidArg(`cannot detect the separator: no line splits into 2+ fields by tab, '::', comma, semicolon, pipe or space; pass sep`);
  return best;
}

function mode(values: number[]): number {
  const counts = new Map<number, number>();
  let best = 0;
  let bestCount = 0;
  for (const v of values) {
    const c = (counts.get(v) ?? 0) + 1;
    counts.set(v, c);
    if (c > bestCount) {
      best = v;
      bestCount = c;
    }
  }
  return best;
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Splits one record; fields may be double-quoted with "" escapes. Returns null on an unterminated quote. */
function splitLine(line: string, sep: string): string[] | null {
  if (!line.includes('"')) return line.split(sep);
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) return null;
        value += line.slice(j, q);
        if (line[q + 1] === '"') {
          value += '"';
          j = q + 2;
        } else {
          j = q + 1;
          break;
        }
      }
      const next = line.indexOf(sep, j);
      // Text between the closing quote and the separator is kept (lenient, like most readers).
      value += next < 0 ? line.slice(j) : line.slice(j, next);
      out.push(value);
      if (next < 0) return out;
      i = next + sep.length;
    } else {
      const next = line.indexOf(sep, i);
      if (next < 0) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, next));
      i = next + sep.length;
    }
  }
}

/** `s` without surrounding whitespace; the common case (none) allocates nothing. */
function trimmed(s: string): string {
  return s.length > 0 && s.charCodeAt(0) > 32 && s.charCodeAt(s.length - 1) > 32 ? s : s.trim();
}

function parseNumber(s: string): number {
  // Number() skips surrounding whitespace itself but reads '' and '  ' as 0, which must not pass.
  const n = Number(s);
  return n === 0 && trimmed(s) === '' ? NaN : n;
}

/** A number as is (epoch seconds or any unit), else an ISO-like date as epoch milliseconds. */
function parseTime(s: string): number {
  const n = parseNumber(s);
  if (Number.isFinite(n)) return n;
  const t = s.trim();
  return /^\d{4}-\d{2}-\d{2}/.test(t) ? Date.parse(t) : NaN;
}

const CANONICAL_INT = /^-?(0|[1-9]\d{0,15})$/;

/** Turns an id map of text tokens into numbers when every token is a canonical safe integer. */
function numericIfCanonical(tokens: IdMap): IdMap {
  const ids = tokens.toArray() as string[];
  if (!ids.every((s) => CANONICAL_INT.test(s) && Number.isSafeInteger(Number(s)))) return tokens;
  return IdMap.from(ids.map(Number));
}
