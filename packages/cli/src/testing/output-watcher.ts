/** Collects text written in pieces and resolves when a pattern first appears in it. */
export class OutputWatcher {
  text = '';
  private waiters: { pattern: RegExp; resolve: (match: RegExpMatchArray) => void }[] = [];

  readonly write = (chunk: string | Buffer): void => {
    this.text += String(chunk);
    this.waiters = this.waiters.filter(({ pattern, resolve }) => {
      const match = this.text.match(pattern);
      if (match) resolve(match);
      return !match;
    });
  };

  waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    const match = this.text.match(pattern);
    if (match) return Promise.resolve(match);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output so far: ${this.text}`)), timeoutMs);
      this.waiters.push({ pattern, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }
}
