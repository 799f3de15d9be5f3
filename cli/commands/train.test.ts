import { describe, expect, it } from 'vitest';
import { calibrationTable } from './train.ts';

describe('calibrationTable', () => {
  it('prints one row per head: predicted/observed percent per decile, low to high', () => {
    const bins = [
      { predicted: 0.045, observed: 0, n: 10 },
      { predicted: 0.945, observed: 1, n: 10 },
    ];
    expect(calibrationTable({ like: bins })).toMatch(/like\s+4\.5\/0\.0\s+94\.5\/100\.0$/);
  });
});
