import os from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'packages/*/tests/**/*.test.ts'],
    setupFiles: ['tests/setup/network-guard.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: on a 2-core machine one file at a time,
    // while most integration files spend much of their time waiting on a CLI process, the emulator
    // or DuckDB's own threads. Two files at once at the least.
    maxWorkers: Math.max(2, os.availableParallelism() - 1),
  },
});
