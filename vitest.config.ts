import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // OCR (tesseract wasm) and end-to-end suites are slow on 2 cores; speed targets live in `npm run bench`.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    env: { METADATA_SERVER_DETECTION: 'none' },
  },
});
