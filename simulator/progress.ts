/** Progress lines for long jobs, at most one per `intervalMs` per phase plus the final one. */
export function progressPrinter(label: string, write: (line: string) => void = (line) => process.stderr.write(`${line}\n`), intervalMs = 1000): (phase: string, done: number, total: number) => void {
  const started = Date.now();
  const last = new Map<string, number>();
  return (phase, done, total) => {
    const now = Date.now();
    const finished = done >= total;
    if (!finished && now - (last.get(phase) ?? 0) < intervalMs) return;
    if (finished && last.get(phase) === -1) return;
    last.set(phase, finished ? -1 : now);
    const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
    write(`[${label}] ${phase} ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} (${pct}%) ${((now - started) / 1000).toFixed(1)}s`);
  };
}
