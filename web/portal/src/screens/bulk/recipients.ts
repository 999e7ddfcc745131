/** Pasted numbers: split on new lines, commas, semicolons and runs of spaces between numbers. */
export function pastedNumbers(text: string): string[] {
  return text
    .split(/[\n\r,;\t]+/)
    .flatMap((chunk) => {
      const t = chunk.trim();
      if (!t) return [];
      // "+33 6 12 34 56 78" is one number; "+336… +447…" are two (a new '+' or '00' after a space).
      return t.split(/\s+(?=\+|00)/).map((x) => x.trim()).filter(Boolean);
    });
}
