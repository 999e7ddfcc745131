import { describe, expect, it } from 'vitest';
import { diskFreeShare, formatBytes } from './format';

describe('disk space', () => {
  it('gives the free share only when both numbers are known', () => {
    expect(diskFreeShare(25, 100)).toBe(0.25);
    expect(diskFreeShare(null, 100)).toBeUndefined();
    expect(diskFreeShare(10, 0)).toBeUndefined();
    expect(diskFreeShare(200, 100)).toBe(1);
  });
  it('prints bytes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(3 * 1024 * 1024 * 1024)).toBe('3 GiB');
    expect(formatBytes(undefined)).toBe('—');
  });
});
