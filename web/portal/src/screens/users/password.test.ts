import { describe, expect, it } from 'vitest';
import { generatePassword } from './password';

describe('the generated password', () => {
  it('has 16 characters from the unambiguous alphabet and differs each time', () => {
    const a = generatePassword();
    const b = generatePassword();
    expect(a).toMatch(/^[a-hjkmnp-zA-HJ-NP-Z2-9\-_!]{16}$/);
    expect(a).not.toBe(b);
  });
  it('maps the random values onto the alphabet', () => {
    expect(generatePassword(3, () => new Uint32Array([0, 1, 57]))).toBe('ab!');
  });
});
