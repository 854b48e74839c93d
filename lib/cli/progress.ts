/**
 * A one-line progress bar on stderr for long CLI steps. Draws only on a terminal (redirected output and
 * tests stay clean) and at most every 100 ms.
 */
export class ProgressBar {
  private last = 0;
  private drawn = false;

  constructor(private readonly label: string, private readonly stream: NodeJS.WriteStream = process.stderr) {}

  private get active(): boolean {
    return Boolean(this.stream.isTTY);
  }

  update(done: number, total: number, suffix = ''): void {
    if (!this.active) return;
    const now = Date.now();
    if (now - this.last < 100 && done < total) return;
    this.last = now;
    const width = 24;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const fill = Math.round(frac * width);
    this.stream.write(`\r${this.label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${Math.round(frac * 100)}% ${suffix}\x1b[K`);
    this.drawn = true;
  }

  done(): void {
    if (this.active && this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}
