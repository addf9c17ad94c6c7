/** A progress bar on stderr: redrawn in place on a terminal, a line every 10 % otherwise. */
export interface Progress {
  tick(label: string): void;
  done(): void;
}

/** Creates a progress reporter for `total` units of work. */
export function progressBar(total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const started = Date.now();
  let count = 0;
  let lastDecile = -1;
  const render = (label: string) => {
    const width = 30;
    const filled = Math.round((count / total) * width);
    const elapsed = (Date.now() - started) / 1000;
    const rate = count / Math.max(elapsed, 1e-3);
    const eta = count ? (total - count) / rate : 0;
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${count}/${total} ${rate.toFixed(1)}/s eta ${eta.toFixed(0)} s ${label}`;
  };
  return {
    tick(label) {
      count++;
      if (stream.isTTY) stream.write(`\r\x1b[K${render(label)}`);
      else {
        const decile = Math.floor((count / total) * 10);
        if (decile !== lastDecile || count === total) {
          lastDecile = decile;
          stream.write(`${render(label)}\n`);
        }
      }
    },
    done() {
      if (stream.isTTY) stream.write('\n');
    },
  };
}
