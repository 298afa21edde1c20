/**
 * The pages built and served as a user gets them (`vite build`, then `vite preview` on 127.0.0.1),
 * and a headless Debian chromium driven by playwright-core: shared by the browser tests and the
 * browser benchmark.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { pageConfig } from './vite.config.js';

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

export interface ServedPages {
  /** http://127.0.0.1:<port>/ */
  readonly url: string;
  readonly outDir: string;
  close(): Promise<void>;
}

/** Builds the pages with the models of `modelsDir` into a temporary folder and serves them with `vite preview`. */
export async function servePages(modelsDir: string): Promise<ServedPages> {
  const tmp = await mkdtemp(join(tmpdir(), 'onnxpipe-pages-'));
  const outDir = join(tmp, 'dist');
  let server: PreviewServer | undefined;
  try {
    const config = { ...pageConfig(modelsDir), configFile: false as const, logLevel: 'warn' as const };
    await build({ ...config, build: { ...config.build, outDir, emptyOutDir: true } });
    server = await preview({ ...config, build: { outDir }, preview: { host: '127.0.0.1', port: 0, strictPort: true } });
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
  const served = server;
  return {
    url: `http://127.0.0.1:${(served.httpServer.address() as AddressInfo).port}/`,
    outDir,
    async close() {
      await served.close();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

/** Headless chromium with a new, empty profile in a temporary folder. `webgpu`: also offer WebGPU (on the CPU, through SwiftShader). */
export function launchChromium(options: { webgpu?: boolean } = {}): Promise<Browser> {
  if (!haveChromium) throw new Error(`${CHROMIUM} is missing: run .ci/system-deps.sh (as root) first`);
  const gpu = options.webgpu ? ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'] : ['--disable-gpu'];
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', ...gpu, '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Bytes received for every response of `page` (bodies as sent, compressed or not, plus headers), by URL. */
export function countTransfer(page: Page): { total(): Promise<number>; byUrl(): Promise<Map<string, number>> } {
  const sizes: Promise<[string, number]>[] = [];
  page.on('requestfinished', (request) => {
    sizes.push(request.sizes().then((s) => [request.url(), s.responseBodySize + s.responseHeadersSize]));
  });
  const byUrl = async () => new Map(await Promise.all(sizes));
  return { byUrl, total: async () => [...(await byUrl()).values()].reduce((a, b) => a + b, 0) };
}

/**
 * Runs `body` on a new page of `browser` that collects console errors and uncaught exceptions
 * (`errors`, live); throws if any were collected by the end. On a failure it saves a screenshot to
 * `test-results/<name>.png`.
 */
export async function withPage(
  browser: Browser,
  name: string,
  body: (page: Page, errors: readonly string[]) => Promise<void>,
  viewport: { width: number; height: number } = { width: 900, height: 1100 },
): Promise<void> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  try {
    await body(page, errors);
    if (errors.length > 0) throw new Error(`errors in the page ${name}:\n  ${errors.join('\n  ')}`);
  } catch (error) {
    await mkdir('test-results', { recursive: true });
    await page.screenshot({ path: `test-results/${name}.png`, fullPage: true }).catch(() => {});
    throw error;
  } finally {
    await page.close();
  }
}
