/**
 * Runs bench suites: measures the machine's limits, runs each suite, prints a table with ratios of
 * reckit to every peer measured in the same case and thread count, and optionally writes JSON.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { info } from '../lib/info';
import type { Measurement, Suite, SuiteContext } from './harness';
import { measureLimits } from './limits';
import { suites } from './registry';

export interface BenchOptions {
  suites: string[];
  json?: string;
  quick?: boolean;
  /** `cuda`: also measure the device paths (falls back to `cpu` with a note when CUDA is not usable). */
  device?: 'cpu' | 'cuda';
  /** Printed as the command that reproduces the run. */
  command?: string;
  log?: (line: string) => void;
}

export interface BenchReport {
  machine: { cpu: string; cores: number; node: string; reckit: string; isa: string; threads: number; date: string };
  limits: ReturnType<typeof measureLimits>;
  command: string;
  suites: { name: string; measurements: Measurement[]; notes: string[] }[];
}

function isOurs(m: Measurement): boolean {
  return m.impl.startsWith('reckit');
}

/** reckit's advantage over a peer (>1 means reckit is better), whichever direction the unit runs. */
export function advantage(ours: Measurement, peer: Measurement): number {
  return ours.better === 'higher' ? ours.value / peer.value : peer.value / ours.value;
}

function formatValue(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toPrecision(3);
}

export function formatTable(measurements: Measurement[]): string[] {
  const rows: string[][] = [['case', 'impl', 'thr', 'value', 'of limit', 'reckit vs peer']];
  for (const m of measurements) {
    let ratios = '';
    if (!isOurs(m)) {
      const ours = measurements.filter((o) => isOurs(o) && o.case === m.case && o.threads === m.threads);
      ratios = ours.map((o) => `${o.impl.replace(/^reckit ?/, '') || 'reckit'} ${advantage(o, m).toFixed(2)}x`).join(', ');
    }
    rows.push([
      m.case,
      m.impl,
      String(m.threads),
      `${formatValue(m.value)} ${m.unit}`,
      m.ofLimit === undefined ? '' : `${(m.ofLimit * 100).toFixed(0)}%`,
      ratios,
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const chosen: Suite[] = options.suites.length
    ? options.suites.map((name) => {
        const suite = suites.find((s) => s.name === name);
        if (!suite) throw new Error(`unknown suite '${name}' (known: ${suites.map((s) => s.name).join(', ')})`);
        return suite;
      })
    : suites;
  const i = info();
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    node: process.versions.node,
    reckit: i.version,
    isa: i.isa,
    threads: i.threads,
    date: new Date().toISOString(),
  };
  log(`machine: ${machine.cpu}, ${machine.cores} cores; node ${machine.node}; reckit ${machine.reckit} (${machine.isa}, ${machine.threads} threads)`);
  const limits = measureLimits(!!options.quick);
  log(
    `limits: read ${limits.readBandwidthGBs.one.toFixed(1)} GB/s (1 thread) / ${limits.readBandwidthGBs.all.toFixed(1)} GB/s ` +
      `(${limits.threads}); FMA peak ${limits.fmaPeakGflops.one.toFixed(0)} / ${limits.fmaPeakGflops.all.toFixed(0)} GFLOP/s`,
  );
  const command = options.command ?? `npx reckit bench ${options.suites.join(' ')}`.trim();
  let device: 'cpu' | 'cuda' = options.device ?? 'cpu';
  if (device === 'cuda') {
    const cuda = i.cuda;
    if (cuda.available) {
      log(`device: cuda (${cuda.backend}: ${cuda.device})${cuda.backend === 'emulated' ? ' — the emulator checks logic, its timings mean nothing' : ''}`);
    } else {
      log(`device: --device cuda asked for, but CUDA is not usable here (${cuda.reason}); measuring the CPU only`);
      device = 'cpu';
    }
  }
  const report: BenchReport = { machine, limits, command, suites: [] };
  for (const suite of chosen) {
    const notes: string[] = [];
    const ctx: SuiteContext = { limits, quick: !!options.quick, device, note: (m) => notes.push(m) };
    log(`\n== ${suite.name}: ${suite.description}`);
    const measurements = await suite.run(ctx);
    for (const line of formatTable(measurements)) log(line);
    if (device === 'cuda' && !suite.hasDevicePath) notes.push('--device cuda: this suite has no device path yet; it measured the CPU only');
    for (const n of notes) log(`note: ${n}`);
    report.suites.push({ name: suite.name, measurements, notes });
  }
  log(`\nreproduce: ${command}`);
  if (options.json) {
    fs.writeFileSync(options.json, JSON.stringify(report, null, 2) + '\n');
    log(`wrote ${options.json}`);
  }
  return report;
}
