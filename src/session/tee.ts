// Fans one console's output out to its sinks. A full lossless sink pauses
// the console (its stream stops reading, the kernel's buffer fills, the child
// waits) until every full one has drained; a lossy sink never holds it up.
import type { Readable } from 'node:stream';
import type { Sink } from './sinks/sink.js';

/**
 * Resolves when the source ended and every sink has flushed and closed;
 * with keepOpen, flushed only (another run of the console follows).
 */
export function tee(source: Readable, sinks: readonly Sink[], keepOpen = false): Promise<void> {
  let full = 0;
  source.on('data', (chunk: Buffer) => {
    for (const sink of sinks) {
      if (!sink.write(chunk) && sink.lossless) {
        full++;
        sink.onDrain(() => {
          if (--full === 0) source.resume();
        });
      }
    }
    if (full > 0) source.pause();
  });
  return new Promise((resolve, reject) => {
    source.once('error', reject);
    source.once('end', () => {
      Promise.all(sinks.map((s) => (keepOpen ? s.flush?.() : s.end()))).then(() => resolve(), reject);
    });
  });
}
