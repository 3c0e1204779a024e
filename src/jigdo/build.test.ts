import { describe, expect, it } from 'vitest';
import { PART_AVERAGE, PART_TARGET } from './format.js';
import { cutByContent } from './build.js';

describe('cutByContent', () => {
  const items = Array.from({ length: 2000 }, (_, i) => ({ key: `/usr/share/doc/pkg-${i}/copyright`, size: 1000 + ((i * 7919) % 9000) }));
  const cut = (xs: typeof items): string[] => cutByContent(xs, (x) => x.size, (x) => x.key).map((g) => g.map((x) => `${x.key}:${x.size}`).join('|'));

  it('keeps every item, in order, groups near the average and never past the maximum', () => {
    const groups = cutByContent(items, (x) => x.size, (x) => x.key);
    expect(groups.flat()).toEqual(items);
    const sizes = groups.map((g) => g.reduce((n, x) => n + x.size, 0));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(PART_TARGET);
    const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    expect(mean).toBeGreaterThan(PART_AVERAGE / 3);
    expect(mean).toBeLessThan(PART_AVERAGE * 3);
  });

  it('moves no boundary but the changed item\'s own when one item changes, appears or goes', () => {
    const before = new Set(cut(items));
    const changed = items.map((x, i) => (i === 1000 ? { ...x, size: x.size + 10 } : x));
    const inserted = [...items.slice(0, 500), { key: '/usr/share/doc/new/copyright', size: 3000 }, ...items.slice(500)];
    const removed = items.filter((_, i) => i !== 1500);
    for (const after of [cut(changed), cut(inserted), cut(removed)]) {
      const fresh = after.filter((g) => !before.has(g));
      // One group differs (the changed one), or two when the item itself ended a group.
      expect(fresh.length).toBeGreaterThanOrEqual(1);
      expect(fresh.length).toBeLessThanOrEqual(2);
    }
  });
});
