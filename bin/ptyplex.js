#!/usr/bin/env node
// The ptyplex executable: the compiled CLI does the work.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
