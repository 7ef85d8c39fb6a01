/**
 * Ctrl-C (or SIGTERM) asks a command to stop after the work in flight, which it then saves;
 * `message` tells the person at the terminal so.
 */
export function interruptOnSignals(message: string): AbortSignal {
  const interrupt = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write(`\n${message}\n`);
    interrupt.abort();
  });
  process.once('SIGTERM', () => interrupt.abort());
  return interrupt.signal;
}

/** A command's progress line on stderr: a terminal redraws one line often; a log file gets a line every ten seconds. */
export function progressDrawer<P>(line: (progress: P) => string): { draw(progress: P, force?: boolean): void; end(): void } {
  const tty = process.stderr.isTTY === true;
  let lastDraw = Date.now();
  return {
    draw(progress, force = false) {
      const now = Date.now();
      if (!force && now - lastDraw < (tty ? 200 : 10_000)) return;
      lastDraw = now;
      process.stderr.write(tty ? `\r\u001b[2K${line(progress)}` : `${line(progress)}\n`);
    },
    end() {
      if (tty) process.stderr.write('\n');
    },
  };
}
