/**
 * Sanity checks on a table before it is modelled or scored, shared by the `reckit quality` (and later
 * `reckit synth`) commands: problems that make the result meaningless are errors with a message that
 * says what to do; the rest are warnings the command prints and carries on.
 */
import { invalidArg } from '../errors';
import type { Table } from './table';

export interface TableCheck {
  warnings: string[];
}

/** Distinct levels above this share of the rows mark an identifier-like column. */
export const MAX_LEVEL_SHARE = 0.5;

/**
 * Throws INVALID_ARG for a categorical column with more distinct values than rows/2 (an identifier or
 * free text: no distribution to learn or compare); warns about constant columns.
 */
export function checkTable(table: Table, what = 'the table'): TableCheck {
  const warnings: string[] = [];
  for (const c of table.columns) {
    if (c.kind === 'categorical') {
      const levels = new Set(c.values).size;
      if (table.rows > 1 && levels > table.rows * MAX_LEVEL_SHARE) {
        throw invalidArg(
          `column '${c.name}' of ${what} has ${levels} distinct values in ${table.rows} rows (more than rows/2): it looks like an ` +
            'identifier or free text; drop it (--drop) or declare it continuous',
        );
      }
      if (levels === 1) warnings.push(`column '${c.name}' of ${what} is constant (${JSON.stringify(c.values[0])})`);
    } else {
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of c.values) {
        if (Number.isNaN(v)) continue;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      if (lo === Infinity) warnings.push(`column '${c.name}' of ${what} has no values at all`);
      else if (lo === hi) warnings.push(`column '${c.name}' of ${what} is constant (${lo})`);
    }
  }
  return { warnings };
}

/** `table` without the named columns (each must exist). */
export function dropColumns(table: Table, names: string[]): Table {
  for (const n of names) if (!table.columns.some((c) => c.name === n)) throw invalidArg(`--drop names '${n}', which is not a column`);
  const columns = table.columns.filter((c) => !names.includes(c.name));
  if (columns.length === 0) throw invalidArg('no columns left after dropping');
  return { rows: table.rows, columns };
}
