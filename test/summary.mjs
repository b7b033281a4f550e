// Prints the plain closing line "N passed, N failed, N skipped" from vitest's JSON report, so that any CI
// reading the last line of the log sees how many tests ran.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(new URL('../reports/vitest.json', import.meta.url), 'utf8'));
const skipped = report.numPendingTests + (report.numTodoTests ?? 0);
console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`);
process.exit(report.numFailedTests > 0 || report.numPassedTests === 0 ? 1 : 0);
