/**
 * qualityReportAsync: the quality report computed on a worker thread, so the event loop stays free
 * for the seconds a detection/efficacy run takes on tens of thousands of rows. The tables are built
 * and checked on the calling thread (bad input rejects before any thread starts) and copied over.
 */
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { reckitError, type ReckitErrorCode } from '../../errors';
import { alignTo, type QualityOptions, type QualityReport, type TableInput, toTable } from './report';

/** Like {@link qualityReport}, off the event loop. */
export function qualityReportAsync(real: TableInput, synthetic: TableInput, options: QualityOptions = {}): Promise<QualityReport> {
  let workerData: unknown;
  try {
    const r = toTable(real, 'real');
    const s = alignTo(r, toTable(synthetic, 'synthetic', r));
    const realTest = options.realTest === undefined ? undefined : alignTo(r, toTable(options.realTest, 'realTest', r), 'realTest');
    workerData = { real: r, synthetic: s, options: { ...options, realTest } };
  } catch (error) {
    return Promise.reject(error);
  }
  // From source (tests run through tsx) the worker is a .ts file and needs tsx's loader too.
  const ext = extname(__filename);
  const execArgv = ext === '.ts' ? ['--require', 'tsx/cjs'] : [];
  return new Promise((resolve, reject) => {
    const worker = new Worker(join(__dirname, `worker${ext}`), { workerData, execArgv });
    let settled = false;
    worker.once('message', (msg: { ok: boolean; report?: QualityReport; name?: string; message?: string; code?: string }) => {
      settled = true;
      if (msg.ok) resolve(msg.report!);
      else {
        const e = msg.code ? reckitError(msg.code as ReckitErrorCode, msg.message ?? 'quality report failed') : new Error(msg.message);
        if (msg.name === 'TypeError' || msg.name === 'RangeError') Object.setPrototypeOf(e, msg.name === 'TypeError' ? TypeError.prototype : RangeError.prototype);
        reject(e);
      }
      void worker.terminate();
    });
    worker.once('error', (error) => {
      if (!settled) reject(reckitError('ERR_RECKIT_INTERNAL', `quality worker failed: ${error.message}`));
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(reckitError('ERR_RECKIT_INTERNAL', `quality worker exited with code ${code}`));
    });
  });
}
