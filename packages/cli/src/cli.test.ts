import { describe, expect, it } from 'vitest';
import { runCli } from './testing/run-cli.js';
import { VERSION } from './version.js';

describe('onnxpipe', () => {
  it('lists every command in --help', async () => {
    const { code, stdout, stderr } = await runCli(['--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    for (const command of ['inspect', 'predict', 'export-triton', 'serve', 'train']) expect(stdout).toMatch(new RegExp(`onnxpipe ${command}`));
  });

  it.each(['inspect', 'predict', 'export-triton', 'serve', 'train'])('prints help for %s', async (command) => {
    const { code, stdout } = await runCli([command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^onnxpipe ${command} <`));
    expect(stdout).toMatch(/Examples:/);
  });

  it('prints its version', async () => {
    expect(await runCli(['--version'])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it.each([
    [[], /^onnxpipe: no command given \(see 'onnxpipe --help'\)\n$/],
    [['inspct', 'm.onnx'], /^onnxpipe: unknown command 'inspct'; did you mean 'inspect'\? \(see 'onnxpipe --help'\)\n$/],
    [['predcit', 'm.onnx', '--input', 'x1=0'], /^onnxpipe: unknown command 'predcit'; did you mean 'predict'\? \(see 'onnxpipe --help'\)\n$/],
    [['fit', 'm.onnx'], /^onnxpipe: unknown command 'fit'; the commands are inspect, predict, export-triton, serve, train \(see 'onnxpipe --help'\)\n$/],
    [['inspect'], /^onnxpipe: Not enough non-option arguments: got 0, need at least 1/],
    [['inspect', 'm.onnx', '--bogus'], /^onnxpipe: Unknown argument: bogus/],
  ])('exits with 2 and one line on usage error %j', async (argv, message) => {
    const { code, stdout, stderr } = await runCli(argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('prints a stack trace only with --verbose', async () => {
    const quiet = await runCli(['inspect', 'missing.onnx']);
    expect(quiet.code).toBe(1);
    expect(quiet.stderr).toMatch(/^onnxpipe: cannot read model file 'missing.onnx': ENOENT[^\n]*\n$/);
    const verbose = await runCli(['inspect', 'missing.onnx', '--verbose']);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(/^onnxpipe: cannot read model file[^\n]*\nModelLoadError: [^\n]*\n\s+at /);
  });
});
