/**
 * What the gateway knows about a message whose outcome is `unknown`, read for a person.
 *
 * The gateway sends its evidence as one line of facts separated by `; ` (the spool's
 * `Message::evidence_summary`: the port and attempt, each part with its state and TP-MR, the
 * report that settled it, reports that could be about it). Each fact it recognises becomes a
 * translated sentence; anything else is kept as the gateway wrote it, so nothing is hidden.
 */

export type Fact =
  | { kind: 'attempt'; port: string | null; attempt: number }
  | { kind: 'noPart' }
  | { kind: 'part'; seq: number; state: string; port: string; reference: number | null }
  | { kind: 'settled'; status: string; port: string; reference: number }
  | { kind: 'ambiguous'; status: string; port: string; reference: number; candidates: number }
  | { kind: 'raw'; text: string };

const ATTEMPT = /^port (\S+), attempt (\d+)$/;
const PART = /^part (\d+) (\S+) on port (\S+?)(?: \(TP-MR (\d+)\))?$/;
const SETTLED = /^report \d+ (\S+) on port (\S+) \(TP-MR (\d+)\) settled it$/;
const AMBIGUOUS = /^report \d+ (\S+) on port (\S+) \(TP-MR (\d+)\) fits messages \[([^\]]*)\]$/;

/** The facts of an evidence line, in the gateway's order (empty for no evidence). */
export function readEvidence(evidence: string | null | undefined): Fact[] {
  if (!evidence) return [];
  return evidence
    .split('; ')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s): Fact => {
      let m = ATTEMPT.exec(s);
      if (m) return { kind: 'attempt', port: m[1] === 'none' ? null : (m[1] ?? null), attempt: Number(m[2]) };
      if (s === 'no part recorded as sent') return { kind: 'noPart' };
      m = PART.exec(s);
      if (m) return { kind: 'part', seq: Number(m[1]), state: m[2] ?? '', port: m[3] ?? '', reference: m[4] === undefined ? null : Number(m[4]) };
      m = SETTLED.exec(s);
      if (m) return { kind: 'settled', status: m[1] ?? '', port: m[2] ?? '', reference: Number(m[3]) };
      m = AMBIGUOUS.exec(s);
      if (m) {
        const ids = (m[4] ?? '').split(',').filter((x) => x.trim().length > 0);
        return { kind: 'ambiguous', status: m[1] ?? '', port: m[2] ?? '', reference: Number(m[3]), candidates: ids.length };
      }
      return { kind: 'raw', text: s };
    });
}

/** The hub words an unknown send's error `outcome unknown (may have been sent): <why>`; the why. */
export function unknownCause(error: string | null | undefined): string | null {
  if (!error) return null;
  const prefix = 'outcome unknown (may have been sent): ';
  return error.startsWith(prefix) ? error.slice(prefix.length) : error;
}
