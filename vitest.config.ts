import { defineConfig } from 'vitest/config'

// tests/external/ needs outside programs (a mosquitto binary…): CI runs it in its broker
// suite (npm run test:mosquitto); `npm test` must pass on a machine without them.
const external = process.env.FABLAB_EXTERNAL_TESTS === '1'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
    exclude: ['**/node_modules/**', ...(external ? [] : ['tests/external/**'])],
    // Suites start real databases, brokers and pseudo-terminals: give them time, but
    // never more than two at once on these 2-core machines.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    pool: 'forks',
  },
})
