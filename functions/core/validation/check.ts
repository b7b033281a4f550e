import type { ValidationResult } from './result.js';

type Details = ValidationResult['details'];
type Severity = ValidationResult['severity'];

/** A check outcome. `message` must name fields and numbers only, never invoice contents. */
export function outcome(
  code: string,
  severity: Severity,
  passed: boolean,
  message: string,
  fields: string[],
  details: Details = {},
): ValidationResult {
  return { code, severity, passed, message, fields, details };
}

/** A check that could not run because its inputs are missing (see codes.ts for the convention). */
export function skipped(code: string, reason: string, fields: string[]): ValidationResult {
  return { code, severity: 'info', passed: true, message: `not checked: ${reason}`, fields, details: { skipped: true, reason } };
}

/** True for the skipped convention of {@link skipped}. */
export function isSkipped(result: ValidationResult): boolean {
  return result.details.skipped === true;
}

/** True when a result should count as a failure of its severity. */
export function isFailure(result: ValidationResult, severity?: Severity): boolean {
  return !result.passed && (severity === undefined || result.severity === severity);
}

/** Rounds to 4 decimals so details stay readable and stable across float noise. */
export function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
