/** Small formatting helpers shared by the box screens. */
import { formatNumber } from '@smsgate/shared/i18n/core';

/** Bytes in the locale, KB/MB/GB (powers of 1024). */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${formatNumber(v, { maximumFractionDigits: i === 0 ? 0 : 1 })} ${units[i]}`;
}

/** A duration as d h min (language-neutral units). */
export function formatUptime(s: number): string {
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  return `${m} min ${s % 60} s`;
}

/** The share of the disk that is free (0 to 1), when both numbers are known. */
export function diskFreeShare(free: number | null | undefined, total: number | null | undefined): number | undefined {
  if (free == null || total == null || total <= 0) return undefined;
  return Math.min(1, Math.max(0, free / total));
}
