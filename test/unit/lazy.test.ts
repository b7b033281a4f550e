import { describe, expect, it } from 'vitest';
import { lazy } from '../../functions/core/lazy.js';

describe('lazy', () => {
  it('builds once for concurrent and later callers', async () => {
    let builds = 0;
    const get = lazy(async () => ++builds);
    expect(await Promise.all([get(), get()])).toEqual([1, 1]);
    expect(await get()).toBe(1);
    expect(builds).toBe(1);
  });

  it('does not cache a failed build: the next call tries again', async () => {
    let calls = 0;
    const get = lazy(async () => {
      if (++calls === 1) throw new Error('not yet');
      return 'ready';
    });
    await expect(get()).rejects.toThrow('not yet');
    expect(await get()).toBe('ready');
  });

  it('reset forgets the value and hands back what was cached', async () => {
    let builds = 0;
    const get = lazy(async () => ++builds);
    expect(get.reset()).toBeNull();
    await get();
    expect(await get.reset()).toBe(1);
    expect(await get()).toBe(2);
  });
});
