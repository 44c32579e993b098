#!/usr/bin/env node
// Builds bench/c-reader (the physical-limit baseline) with the system C
// compiler into bench/out/.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const bench = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bench');
fs.mkdirSync(path.join(bench, 'out'), { recursive: true });
execFileSync(process.env.CC ?? 'cc', ['-O2', '-Wall', '-o', path.join(bench, 'out', 'c-reader'), path.join(bench, 'c-reader.c'), '-lutil'], { stdio: 'inherit' });
