/** How report figures read on screen and in exports (zh-CN); an undefined figure is "—". */

export const NO_VALUE = '—';

/** 0.853 → "85.3%"; null → "—". */
export function formatPercent(value: number | null, digits = 1): string {
  return value === null ? NO_VALUE : `${(value * 100).toFixed(digits)}%`;
}

/** Hours with one decimal; null → "—". */
export function formatHours(value: number | null): string {
  return value === null ? NO_VALUE : `${value.toFixed(1)} 小时`;
}

export function formatNumber(value: number | null, digits = 0): string {
  return value === null ? NO_VALUE : value.toFixed(digits);
}

/** +3 / −2 / 0, for change against the previous period. */
export function formatChange(change: number): string {
  if (change > 0) return `+${change}`;
  if (change < 0) return `−${-change}`;
  return '0';
}

/** The export's file name: hospital, report and period (and the department when filtered). */
export function reportFileName(parts: { hospitalName: string; reportLabel: string; periodLabel: string; departmentName: string | null; format: string }): string {
  const name = [parts.hospitalName, parts.reportLabel, parts.departmentName, parts.periodLabel].filter(Boolean).join('_');
  return `${name.replace(/[\\/:*?"<>|\s]+/g, '')}.${parts.format}`;
}
