import { describe, expect, it } from 'vitest';
import { closest, editDistance } from './suggest.js';

const COMMANDS = ['inspect', 'predict', 'export-triton', 'serve', 'train'];

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['', 'abc', 3],
    ['predict', 'predict', 0],
    ['predcit', 'predict', 1], // one swap of neighbours
    ['kitten', 'sitting', 3], // the textbook Levenshtein example: k→s, e→i, +g
    ['ca', 'abc', 3], // optimal string alignment does not edit a swapped pair again
    ['inspct', 'inspect', 1],
  ])('%j → %j is %d', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
  });
});

describe('closest', () => {
  it.each([
    ['predcit', 'predict'],
    ['inspct', 'inspect'],
    ['trian', 'train'],
    ['serv', 'serve'],
    ['triton', 'export-triton'],
    ['export', 'export-triton'],
    ['PREDICT', undefined],
    ['foo', undefined],
    ['tr', undefined],
  ])('%j → %j', (word, expected) => {
    expect(closest(word, COMMANDS)).toBe(expected);
  });
});
