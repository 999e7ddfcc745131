import { describe, expect, it } from 'vitest';
import { readEvidence, unknownCause } from './evidence';

describe('the evidence of an unknown message', () => {
  it('reads a send cut before the modem answered +CMGS as "nothing recorded as sent"', () => {
    expect(readEvidence('port 0, attempt 1; no part recorded as sent')).toEqual([
      { kind: 'attempt', port: '0', attempt: 1 },
      { kind: 'noPart' },
    ]);
  });

  it('reads each part with its state and reference, and a report that settled it', () => {
    expect(readEvidence('port 2, attempt 1; part 1 sent on port 2 (TP-MR 42); part 2 queued on port 2; report 7 delivered on port 2 (TP-MR 42) settled it')).toEqual([
      { kind: 'attempt', port: '2', attempt: 1 },
      { kind: 'part', seq: 1, state: 'sent', port: '2', reference: 42 },
      { kind: 'part', seq: 2, state: 'queued', port: '2', reference: null },
      { kind: 'settled', status: 'delivered', port: '2', reference: 42 },
    ]);
  });

  it('counts the candidates of an ambiguous report and keeps what it cannot read word for word', () => {
    expect(readEvidence('port none, attempt 0; report 9 failed on port 1 (TP-MR 3) fits messages [4, 5]; AT+CMGS=23 → > → PDU sent, then no final result within 60000 ms')).toEqual([
      { kind: 'attempt', port: null, attempt: 0 },
      { kind: 'ambiguous', status: 'failed', port: '1', reference: 3, candidates: 2 },
      { kind: 'raw', text: 'AT+CMGS=23 → > → PDU sent, then no final result within 60000 ms' },
    ]);
    expect(readEvidence(null)).toEqual([]);
    expect(readEvidence('')).toEqual([]);
  });

  it('takes the cause out of the hub\'s unknown error', () => {
    expect(unknownCause('outcome unknown (may have been sent): no answer to AT+CMGS within 60 s')).toBe('no answer to AT+CMGS within 60 s');
    expect(unknownCause('something else')).toBe('something else');
    expect(unknownCause(null)).toBeNull();
  });
});
