/**
 * Async forms of the heavy tabular calls, computed on a worker thread so the event loop stays free for
 * the seconds a quality report (detection, efficacy) or an encoder fit (one Gaussian mixture per
 * continuous column) takes on tens of thousands of rows. Inputs are built and checked on the calling
 * thread (bad input rejects before any thread starts) and copied over.
 */
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { reckitError, type ReckitErrorCode } from '../../errors';
import type { EncoderOptions, EncoderState } from '../encoder';
import type { Table } from '../table';
import { alignTo, type QualityOptions, type QualityReport, type TableInput, toTable } from './report';

interface Reply<T> {
  ok: boolean;
  result?: T;
  name?: string;
  message?: string;
  code?: string;
}

/** Runs one job of worker.ts and resolves with its result. */
export function runInWorker<T>(workerData: Record<string, unknown>): Promise<T> {
  // From source (tests run through tsx) the worker is a .ts file and needs tsx's loader too.
  const ext = extname(__filename);
  const execArgv = ext === '.ts' ? ['--require', 'tsx/cjs'] : [];
  return new Promise((resolve, reject) => {
    const worker = new Worker(join(__dirname, `worker${ext}`), { workerData, execArgv });
    let settled = false;
    worker.once('message', (msg: Reply<T>) => {
      settled = true;
      if (msg.ok) resolve(msg.result as T);
      else {
        const e = msg.code ? reckitError(msg.code as ReckitErrorCode, msg.message ?? 'tabular worker failed') : new Error(msg.message);
        if (msg.name === 'TypeError' || msg.name === 'RangeError') Object.setPrototypeOf(e, msg.name === 'TypeError' ? TypeError.prototype : RangeError.prototype);
        reject(e);
      }
      void worker.terminate();
    });
    worker.once('error', (error) => {
      if (!settled) reject(reckitError('ERR_RECKIT_INTERNAL', `tabular worker failed: ${error.message}`));
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(reckitError('ERR_RECKIT_INTERNAL', `tabular worker exited with code ${code}`));
    });
  });
}

/** Like {@link qualityReport}, off the event loop. */
export function qualityReportAsync(real: TableInput, synthetic: TableInput, options: QualityOptions = {}): Promise<QualityReport> {
  let data: Record<string, unknown>;
  try {
    const r = toTable(real, 'real');
    const s = alignTo(r, toTable(synthetic, 'synthetic', r));
    const realTest = options.realTest === undefined ? undefined : alignTo(r, toTable(options.realTest, 'realTest', r), 'realTest');
    data = { job: 'quality', real: r, synthetic: s, options: { ...options, realTest } };
  } catch (error) {
    return Promise.reject(error);
  }
  return runInWorker<QualityReport>(data);
}

/** The encoder's fitted state, computed off the event loop (TableEncoder.fitAsync wraps it). */
export function fitEncoderState(table: Table, options: EncoderOptions = {}): Promise<EncoderState> {
  return runInWorker<EncoderState>({ job: 'encoderFit', table, options });
}
