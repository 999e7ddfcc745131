/** The cloud screen's logic: the words for a failed step and for each snippet problem. */
import type { LineProblem } from '@smsgate/shared/api/errors';
import { cloudMsg } from './messages';

export const STEPS = ['settings', 'dns', 'refused', 'unreachable', 'timeout', 'tls', 'credentials', 'unavailable', 'protocol'] as const;
export type Step = (typeof STEPS)[number];

/** What the technician should check for a failed step (the gateway's own words stay below it). */
export function stepWords(step: string | null | undefined): string {
  return STEPS.includes(step as Step) ? cloudMsg.t(`step.${step as Step}`) : cloudMsg.t('testFailed');
}

/** One snippet problem as a sentence naming its line and field. */
export function problemWords(p: LineProblem): string {
  const field = p.field ?? 'snippet';
  return p.line ? cloudMsg.t('problemLine', { line: p.line, field, message: p.message }) : cloudMsg.t('problem', { field, message: p.message });
}

/** The problems sorted by line (those without a line last). */
export function sortedProblems(ps: readonly LineProblem[]): LineProblem[] {
  return [...ps].sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
}
