import { describe, expect, it } from 'vitest';
import { adam, rmsprop, sgd } from '@onnxpipe/graph-builder';
import { chooseLoss, defaultMetrics } from './loss.js';
import { chooseOptimizer } from './optimizer.js';

describe('chooseOptimizer', () => {
  it('prefers the flag, then the definition, then adam; --lr sets a named one', () => {
    expect(chooseOptimizer('sgd', 'adam', 0.3).learningRate).toBe(0.3);
    const named = (o: { name: string; learningRate: number }) => [o.name, o.learningRate];
    expect(named(chooseOptimizer(undefined, 'rmsprop', undefined))).toEqual(['rmsprop', rmsprop().learningRate]);
    expect(named(chooseOptimizer(undefined, undefined, undefined))).toEqual(['adam', adam().learningRate]);
    const mine = sgd({ learningRate: 0.7 });
    expect(chooseOptimizer(undefined, mine, undefined)).toBe(mine);
  });

  it.each([
    [undefined, 'adagrad', undefined, /^the definition's optimizer 'adagrad' is unknown; expected one of sgd, adam, adamw, rmsprop$/],
    [undefined, { step: 1 }, undefined, /^the definition exports an `optimizer` that is neither a name nor sgd\(…\)/],
    [undefined, sgd(), 0.1, /^--lr cannot change the definition's optimizer object; pass --optimizer too/],
  ])('refuses %#', (flag, exported, lr, message) => {
    expect(() => chooseOptimizer(flag, exported, lr)).toThrow(message);
  });
});

describe('chooseLoss', () => {
  it('prefers the flag, then the definition', () => {
    expect(chooseLoss('mean_squared_error', 'binary_cross_entropy')).toBe('mean_squared_error');
    expect(chooseLoss(undefined, 'binary_cross_entropy')).toBe('binary_cross_entropy');
    expect(chooseLoss(undefined, { a: 'mean_squared_error' })).toEqual({ a: 'mean_squared_error' });
  });

  it.each([
    [undefined, /^no loss: pass --loss \(binary_cross_entropy, .*\) or export `loss` from the definition$/],
    ['hinge', /^the definition's loss 'hinge' is unknown; expected one of binary_cross_entropy, /],
    [42, /^the definition exports a `loss` that is neither a loss name nor a record/],
  ])('refuses %j', (exported, message) => {
    expect(() => chooseLoss(undefined, exported)).toThrow(message);
  });

  it('tracks accuracy for classification losses only', () => {
    expect(defaultMetrics('binary_cross_entropy')).toEqual(['accuracy']);
    expect(defaultMetrics('mean_squared_error')).toEqual([]);
  });
});
