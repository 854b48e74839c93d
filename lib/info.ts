/**
 * What this build and this machine offer: version, the CPU kernels in use, the compute pool, and
 * whether the CUDA backend can be used (and if not, why).
 */
import { native } from './native';
import { requireInteger } from './validate';

/** An instruction-set level of the CPU kernels. */
export type Isa = 'avx512' | 'avx2' | 'neon' | 'portable';

/** Availability of the optional CUDA backend. */
export interface CudaInfo {
  available: boolean;
  /** Usable devices (0 when unavailable). */
  devices: number;
  /** Whether the `reckit_cuda` library was found and matches this addon. */
  libraryLoaded: boolean;
  /** Where the library was looked for. */
  libraryPath: string;
  /** Why CUDA is not available (`null` when it is). */
  reason: string | null;
  /**
   * Which build of the library was loaded: `cuda` (nvcc, a GPU) or `emulated` (the test build that runs the
   * same kernels on CPU threads, see docs/cuda.md); `null` when none was loaded.
   */
  backend: 'cuda' | 'emulated' | null;
  /** Device 0's name when available, else `null`. */
  device: string | null;
}

export interface Info {
  version: string;
  /** The backend that serves ops by default. */
  backend: 'cpu' | 'cuda';
  /** The ISA the CPU kernels run on (chosen once at load; `RECKIT_ISA` can force a lower one). */
  isa: Isa;
  /** Why a `RECKIT_ISA` request was not honoured, else `null`. */
  isaNote: string | null;
  /** ISAs this build and CPU support, best first. */
  supportedIsas: Isa[];
  /** Threads of the compute pool. */
  threads: number;
  physicalCores: number;
  cpuFeatures: { avx2: boolean; avx512: boolean; avx512bf16: boolean; avx512vnni: boolean; neon: boolean };
  cuda: CudaInfo;
  napiVersion: number;
}

/** One compute backend and whether it can be used here. */
export interface BackendInfo {
  name: 'cpu' | 'cuda';
  available: boolean;
  reason: string | null;
  isa?: Isa;
  devices?: number;
}

/** Describes the build, the CPU path in use, the compute pool and CUDA availability. */
export function info(): Info {
  return native().info() as Info;
}

/** Lists the compute backends with their availability and, when unavailable, the reason. */
export function backends(): BackendInfo[] {
  return native().backends() as BackendInfo[];
}

/**
 * Sets the size of the process-wide compute pool (the calling thread counts as one) and returns it.
 * `0` restores the default: `RECKIT_THREADS` if set, else the number of physical cores.
 * Waits for a running parallel region to finish; results of ops are deterministic for a given count.
 */
export function setThreads(threads: number): number {
  return native().setThreads(requireInteger(threads, 'threads', 0, 1024)) as number;
}

/** The current size of the compute pool. */
export function getThreads(): number {
  return info().threads;
}
