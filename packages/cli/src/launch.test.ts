import { describe, expect, it } from 'vitest';
import { userDirectory } from './launch.js';

describe('userDirectory', () => {
  it('is INIT_CWD in the package script named onnxpipe', () => {
    expect(userDirectory({ npm_lifecycle_event: 'onnxpipe', INIT_CWD: '/home/me/data' }, '/repo')).toBe('/home/me/data');
  });

  it.each([
    [{ npm_lifecycle_event: 'train', INIT_CWD: '/home/me/data' }],
    [{ npm_lifecycle_event: 'onnxpipe' }],
    [{ INIT_CWD: '/home/me/data' }],
    [{}],
  ])('is the current directory otherwise: %j', (env) => {
    expect(userDirectory(env, '/repo')).toBe('/repo');
  });
});
