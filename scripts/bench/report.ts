/** The numbers and tables a benchmark prints, and the settings it reads from the environment. */
import os from 'node:os';

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '—');
export const mib = (bytes: number) => bytes / 1024 / 1024;

/** A two-column (or more) table with a rule under the header; columns padded to fit. */
export function formatTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => displayWidth(r[i] ?? ''))));
  const line = (r: string[]) => r.map((c, i) => c + ' '.repeat(widths[i]! - displayWidth(c))).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** CJK characters take two columns in a terminal. */
function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return w;
}


export function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** The header every benchmark prints: machine and settings. */
export function printHeader(title: string, settings: Record<string, string | number>): void {
  const cpus = os.cpus();
  const rows: [string, string | number][] = [
    ['machine', `${cpus.length} CPU × ${cpus[0]?.model.trim() ?? 'unknown'}`],
    ['memory', `${fmt(os.totalmem() / 1024 ** 3, 1)} GiB total, ${fmt(os.freemem() / 1024 ** 3, 1)} GiB free`],
    ['load average', os.loadavg().map((l) => l.toFixed(2)).join(' ')],
    ['node', `${process.version} (${os.platform()} ${os.release()})`],
    ...Object.entries(settings),
    ['worker', workerVariant() ? `DIAGNOSTIC VARIANT: ${workerVariant()}` : 'worker/main.ts as is (child process)'],
  ];
  console.log(`\n=== ${title} ===`);
  console.log(formatTable(['', ''], rows).split('\n').slice(2).join('\n'));
  console.log();
}

/** A description of the diagnostic worker overrides, if any are set. */
export function workerVariant(): string | undefined {
  const parts = [
    process.env.BENCH_WORKER_OPTIONS ? `options ${process.env.BENCH_WORKER_OPTIONS}` : '',
    process.env.BENCH_WORKER_PG_MAX ? `pg pool ${process.env.BENCH_WORKER_PG_MAX}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : undefined;
}
