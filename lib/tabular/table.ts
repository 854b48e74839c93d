/**
 * The column-oriented table the tabular tools share: building one from rows, columns or CSV strings,
 * inferring each column's kind (numbers → continuous, integers kept integral; strings/booleans →
 * categorical), and the missing-value policy (continuous: NaN; categorical: null, its own level).
 */
import { dimMismatch, invalidArg } from '../errors';

/** A cell as the user gives it. `null`/`undefined` (and NaN for numbers) mean missing. */
export type Cell = string | number | boolean | null | undefined;

export type ColumnKind = 'continuous' | 'categorical';

/** A numeric column; missing values are NaN. */
export interface ContinuousColumn {
  name: string;
  kind: 'continuous';
  /** True when every present value is an integer: generated values are rounded back to integers. */
  integer: boolean;
  values: Float64Array;
}

/** A categorical column; missing values are null. `boolean` columns give booleans back on output. */
export interface CategoricalColumn {
  name: string;
  kind: 'categorical';
  valueType: 'string' | 'boolean' | 'number';
  values: (string | null)[];
}

export type Column = ContinuousColumn | CategoricalColumn;

export interface Table {
  rows: number;
  columns: Column[];
}

/** What a caller may override per column (the rest is inferred). */
export interface ColumnSpec {
  kind?: ColumnKind;
  /** For continuous columns: keep generated values integral (inferred when omitted). */
  integer?: boolean;
}

export interface TableOptions {
  /** Per-column overrides, by name. */
  columns?: Record<string, ColumnSpec>;
}

export interface CsvTableOptions extends TableOptions {
  /** Cell texts read as missing (after trimming). Default: '', '?', 'NA', 'N/A', 'NaN', 'null'. */
  missing?: string[];
}

export const DEFAULT_MISSING = ['', '?', 'NA', 'N/A', 'NaN', 'null'];

/** Share of present cells that must parse as numbers before a column with stray text is called an error. */
const NUMERIC_MAJORITY = 0.9;

/** Reads a numeric text strictly: the whole (trimmed) text must be a finite number. */
export function parseNumber(text: string): number {
  const t = text.trim();
  if (t === '') return NaN;
  const n = Number(t);
  return Number.isFinite(n) ? n : NaN;
}

function isMissingCell(v: Cell): boolean {
  return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
}

function continuousFrom(name: string, values: Float64Array, integer?: boolean): ContinuousColumn {
  let allIntegral = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isNaN(v) && !Number.isInteger(v)) {
      allIntegral = false;
      break;
    }
  }
  return { name, kind: 'continuous', integer: integer ?? allIntegral, values };
}

/** Builds one column from JS cells, inferring its kind unless `spec.kind` says otherwise. */
export function columnFromCells(name: string, cells: readonly Cell[], spec: ColumnSpec = {}): Column {
  let numbers = 0;
  let others = 0;
  let booleans = 0;
  for (let i = 0; i < cells.length; i++) {
    const v = cells[i];
    if (isMissingCell(v)) continue;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw invalidArg(`column '${name}' row ${i}: ${v} is not a finite number`);
      numbers++;
    } else if (typeof v === 'boolean') booleans++;
    else if (typeof v === 'string') others++;
    else throw invalidArg(`column '${name}' row ${i}: cells must be strings, numbers, booleans or null (got ${typeof v})`);
  }
  const kind = spec.kind ?? (others === 0 && booleans === 0 ? 'continuous' : 'categorical');
  if (kind === 'continuous') {
    const values = new Float64Array(cells.length);
    for (let i = 0; i < cells.length; i++) {
      const v = cells[i];
      if (isMissingCell(v)) values[i] = NaN;
      else if (typeof v === 'number') values[i] = v;
      else {
        const n = typeof v === 'string' ? parseNumber(v) : NaN;
        if (Number.isNaN(n)) throw invalidArg(`column '${name}' is continuous but row ${i} holds ${JSON.stringify(v)}`);
        values[i] = n;
      }
    }
    return continuousFrom(name, values, spec.integer);
  }
  const valueType = booleans > 0 && others === 0 && numbers === 0 ? 'boolean' : numbers > 0 && others === 0 && booleans === 0 ? 'number' : 'string';
  return {
    name,
    kind: 'categorical',
    valueType,
    values: cells.map((v) => (isMissingCell(v) ? null : String(v))),
  };
}

function checkNames(names: string[]): void {
  if (names.length === 0) throw invalidArg('a table needs at least one column');
  const seen = new Set<string>();
  for (const n of names) {
    if (typeof n !== 'string' || n === '') throw invalidArg('column names must be non-empty strings');
    if (seen.has(n)) throw invalidArg(`column '${n}' appears twice`);
    seen.add(n);
  }
}

function checkOverrides(names: string[], options: TableOptions): Record<string, ColumnSpec> {
  const specs = options.columns ?? {};
  for (const key of Object.keys(specs)) {
    if (!names.includes(key)) throw invalidArg(`options.columns names '${key}', which is not a column`);
    const k = specs[key].kind;
    if (k !== undefined && k !== 'continuous' && k !== 'categorical') {
      throw invalidArg(`options.columns.${key}.kind must be 'continuous' or 'categorical'`);
    }
  }
  return specs;
}

/** A table from `{ name: cells[] }`; every column must have the same length. */
export function tableFromColumns(columns: Record<string, readonly Cell[]>, options: TableOptions = {}): Table {
  if (columns === null || typeof columns !== 'object') throw invalidArg('columns must be an object of arrays');
  const names = Object.keys(columns);
  checkNames(names);
  const specs = checkOverrides(names, options);
  let rows = -1;
  const out: Column[] = [];
  for (const name of names) {
    const cells = columns[name];
    if (!Array.isArray(cells)) throw invalidArg(`column '${name}' must be an array`);
    if (rows >= 0 && cells.length !== rows) {
      throw dimMismatch(`column '${name}' has ${cells.length} values, the others ${rows}`);
    }
    rows = cells.length;
    out.push(columnFromCells(name, cells, specs[name]));
  }
  return { rows, columns: out };
}

/** A table from an array of records; the first record's keys name the columns and every record must have them. */
export function tableFromRows(rows: readonly Record<string, Cell>[], options: TableOptions = {}): Table {
  if (!Array.isArray(rows)) throw invalidArg('rows must be an array of objects');
  if (rows.length === 0) throw invalidArg('rows is empty');
  const first = rows[0];
  if (first === null || typeof first !== 'object') throw invalidArg('rows[0] must be an object');
  const names = Object.keys(first);
  const columns: Record<string, Cell[]> = {};
  for (const n of names) columns[n] = new Array(rows.length);
  rows.forEach((row, i) => {
    if (row === null || typeof row !== 'object') throw invalidArg(`rows[${i}] must be an object`);
    const keys = Object.keys(row);
    if (keys.length !== names.length || keys.some((k) => !(k in columns))) {
      throw dimMismatch(`rows[${i}] has columns [${keys.join(', ')}], rows[0] has [${names.join(', ')}]`);
    }
    for (const n of names) columns[n][i] = row[n];
  });
  return tableFromColumns(columns, options);
}

/**
 * A table from CSV text cells (header + records of strings): numbers are read where a whole column
 * is numeric. A column whose present cells are mostly numbers but not all is reported as an error
 * naming the first offending row, rather than silently turned into categories.
 */
export function tableFromStrings(header: string[], records: string[][], options: CsvTableOptions = {}): Table {
  checkNames(header);
  const specs = checkOverrides(header, options);
  const missing = new Set(options.missing ?? DEFAULT_MISSING);
  const columns: Column[] = header.map((name, c) => {
    const texts: (string | null)[] = records.map((r) => (missing.has(r[c].trim()) ? null : r[c]));
    const spec = specs[name] ?? {};
    let numeric = 0;
    let present = 0;
    let firstBad = -1;
    const values = new Float64Array(texts.length);
    texts.forEach((t, i) => {
      if (t === null) {
        values[i] = NaN;
        return;
      }
      present++;
      const n = parseNumber(t);
      values[i] = n;
      if (Number.isNaN(n)) {
        if (firstBad < 0) firstBad = i;
      } else numeric++;
    });
    const kind = spec.kind ?? (present > 0 && numeric === present ? 'continuous' : 'categorical');
    if (kind === 'continuous') {
      if (firstBad >= 0) {
        throw invalidArg(`column '${name}' is numeric but data row ${firstBad + 1} holds ${JSON.stringify(texts[firstBad])}`);
      }
      return continuousFrom(name, values, spec.integer);
    }
    if (spec.kind === undefined && present > 0 && numeric < present && numeric >= NUMERIC_MAJORITY * present) {
      throw invalidArg(
        `column '${name}' is numeric in ${numeric} of ${present} rows but data row ${firstBad + 1} holds ` +
          `${JSON.stringify(texts[firstBad])}: fix the data or declare the column categorical`,
      );
    }
    const valueType = present > 0 && numeric === present ? 'number' : 'string';
    return { name, kind: 'categorical', valueType, values: texts.map((t) => (t === null ? null : t.trim())) };
  });
  return { rows: records.length, columns };
}

/** Reads `strings` against the kinds of `schema` (e.g. a synthetic CSV read with the real table's schema). */
export function tableLike(schema: Table, header: string[], records: string[][], options: CsvTableOptions = {}): Table {
  const want = schema.columns.map((c) => c.name);
  const missingCols = want.filter((n) => !header.includes(n));
  const extra = header.filter((n) => !want.includes(n));
  if (missingCols.length || extra.length) {
    throw invalidArg(
      `the columns differ: ${missingCols.length ? `missing [${missingCols.join(', ')}]` : ''}` +
        `${missingCols.length && extra.length ? ', ' : ''}${extra.length ? `unexpected [${extra.join(', ')}]` : ''}`,
    );
  }
  const order = want.map((n) => header.indexOf(n));
  const reordered = records.map((r) => order.map((c) => r[c]));
  const columns: Record<string, ColumnSpec> = {};
  for (const c of schema.columns) columns[c.name] = { kind: c.kind, integer: c.kind === 'continuous' ? c.integer : undefined };
  const t = tableFromStrings(want, reordered, { ...options, columns });
  t.columns.forEach((c, i) => {
    const s = schema.columns[i];
    if (c.kind === 'categorical' && s.kind === 'categorical') c.valueType = s.valueType;
  });
  return t;
}

/** The value of a cell as the user's type: numbers, booleans, strings, or null when missing. */
export function cellValue(column: Column, row: number): string | number | boolean | null {
  if (column.kind === 'continuous') {
    const v = column.values[row];
    return Number.isNaN(v) ? null : v;
  }
  const v = column.values[row];
  if (v === null) return null;
  if (column.valueType === 'boolean') return v === 'true';
  if (column.valueType === 'number') return Number(v);
  return v;
}

/** The table as an array of records. */
export function tableToRows(table: Table): Record<string, string | number | boolean | null>[] {
  const out: Record<string, string | number | boolean | null>[] = [];
  for (let r = 0; r < table.rows; r++) {
    const row: Record<string, string | number | boolean | null> = {};
    for (const c of table.columns) row[c.name] = cellValue(c, r);
    out.push(row);
  }
  return out;
}

/** The rows of `table` at `indices` (in that order), as a new table. */
export function selectRows(table: Table, indices: ArrayLike<number>): Table {
  const n = indices.length;
  const columns = table.columns.map((c): Column => {
    if (c.kind === 'continuous') {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = c.values[indices[i]];
      return { ...c, values };
    }
    const values = new Array<string | null>(n);
    for (let i = 0; i < n; i++) values[i] = c.values[indices[i]];
    return { ...c, values };
  });
  return { rows: n, columns };
}

/** The column called `name`, or an INVALID_ARG error naming the available ones. */
export function getColumn(table: Table, name: string): Column {
  const c = table.columns.find((col) => col.name === name);
  if (!c) throw invalidArg(`no column '${name}' (columns: ${table.columns.map((x) => x.name).join(', ')})`);
  return c;
}

/** A categorical column's levels in first-seen order (null, the missing level, last when present). */
export function levelsOf(values: readonly (string | null)[]): (string | null)[] {
  const seen = new Set<string>();
  let hasNull = false;
  for (const v of values) {
    if (v === null) hasNull = true;
    else seen.add(v);
  }
  const out: (string | null)[] = [...seen];
  if (hasNull) out.push(null);
  return out;
}
