// Reading a client's JSON request safely: every field is checked for type,
// so a malformed message is a ProtocolError naming the field, never a crash.
import { MAX_DURATION_MS } from '../config/duration.js';
import { ProtocolError } from './protocol.js';

export class Request {
  constructor(private readonly message: Record<string, unknown>) {}

  get op(): string {
    return this.string('op');
  }

  string(key: string): string {
    const v = this.message[key];
    if (typeof v !== 'string') throw new ProtocolError(`"${key}" must be a string`);
    return v;
  }

  optionalString(key: string): string | undefined {
    return this.message[key] === undefined ? undefined : this.string(key);
  }

  size(key: string): number {
    const v = this.message[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) {
      throw new ProtocolError(`"${key}" must be an integer from 1 to 65535`);
    }
    return v;
  }

  optionalNumber(key: string): number | undefined {
    const v = this.message[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_DURATION_MS) throw new ProtocolError(`"${key}" must be a number from 0 to ${MAX_DURATION_MS}`);
    return v;
  }

  optionalStringList(key: string): string[] | undefined {
    const v = this.message[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ProtocolError(`"${key}" must be a list of strings`);
    return v as string[];
  }

  optionalObject(key: string): Record<string, unknown> | undefined {
    const v = this.message[key];
    if (v === undefined) return undefined;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ProtocolError(`"${key}" must be an object`);
    return v as Record<string, unknown>;
  }

  flag(key: string): boolean {
    const v = this.message[key] ?? false;
    if (typeof v !== 'boolean') throw new ProtocolError(`"${key}" must be true or false`);
    return v;
  }
}
