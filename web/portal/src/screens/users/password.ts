/** A random password for a new account (the "Generate" button): 16 characters, no look-alikes. */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_!';

export function generatePassword(length = 16, random: (n: number) => Uint32Array = (n) => crypto.getRandomValues(new Uint32Array(n))): string {
  const r = random(length);
  let out = '';
  for (let i = 0; i < length; i += 1) out += ALPHABET[(r[i] ?? 0) % ALPHABET.length];
  return out;
}
