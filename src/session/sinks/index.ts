export { CastSink, type CastHeader } from './cast-sink.js';
export { FileSink } from './file-sink.js';
export { PlainLogSink } from './plain-log-sink.js';
export { PrefixSink, type PrefixOptions } from './prefix-sink.js';
export { RawTerminalSink } from './raw-terminal-sink.js';
export type { Sink } from './sink.js';
