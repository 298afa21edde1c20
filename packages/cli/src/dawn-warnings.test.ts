import { describe, expect, it } from 'vitest';
import { DawnWarningFilter, hidesDawnWarnings } from './dawn-warnings.js';

// What Dawn printed in onnxruntime-node 1.30: without libvulkan, and on Mesa's lavapipe.
const NO_VULKAN =
  "Warning: Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory\n" +
  '    at operator() (/build/Release/_deps/dawn-src/src/dawn/native/vulkan/BackendVk.cpp:368)\n' +
  '\n';
const LAVAPIPE =
  'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.\n' +
  'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.\n';
const ONNXPIPE = "onnxpipe: device 'webgpu' is not available in this onnxruntime build\n";

function filtered(chunks: readonly string[]): string {
  const filter = new DawnWarningFilter();
  return chunks.map((c) => filter.write(c)).join('') + filter.end();
}

describe('DawnWarningFilter', () => {
  it('drops warnings with their origin lines and keeps the rest', () => {
    expect(filtered([NO_VULKAN + LAVAPIPE + ONNXPIPE])).toBe(ONNXPIPE);
  });

  it('keeps a blank line and an indented line that follow no warning', () => {
    expect(filtered(['first\n\n    at indented\n'])).toBe('first\n\n    at indented\n');
  });

  it('works on any split of the text into chunks', () => {
    const text = `${ONNXPIPE}${NO_VULKAN}${LAVAPIPE}Error: kept\n`;
    for (let size = 1; size <= 9; size++) {
      const chunks = Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size));
      expect(filtered(chunks)).toBe(`${ONNXPIPE}Error: kept\n`);
    }
  });

  it('passes a last line without newline, unless it is a warning', () => {
    expect(filtered(['done'])).toBe('done');
    expect(filtered(['Warning: cut short'])).toBe('');
  });
});

describe('hidesDawnWarnings', () => {
  it.each([
    [['train', 'm.ts', '--device', 'webgpu'], {}, true],
    [['train', 'm.ts', '--device=webgpu'], {}, true],
    [['train', 'm.ts', '--device', 'webgpu', '--verbose'], {}, false],
    [['train', 'm.ts', '--device', 'cpu'], {}, false],
    [['train', 'm.ts'], {}, false],
    [['train', 'm.ts', '--device', 'webgpu'], { ONNXPIPE_DAWN_WARNINGS_FILTERED: '1' }, false],
  ])('%j with %j: %s', (argv, env, expected) => {
    expect(hidesDawnWarnings(argv, env)).toBe(expected);
  });
});
