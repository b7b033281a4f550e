import { PermanentError, RejectReason } from '../../../core/errors.js';

/** A per-document wall-clock budget: checked between steps, and raced against steps that cannot be split. */
export class Deadline {
  private readonly endsAt: number;

  constructor(readonly budgetMs: number, private readonly now: () => number = () => performance.now()) {
    this.endsAt = now() + budgetMs;
  }

  remainingMs(): number {
    return this.endsAt - this.now();
  }

  /** Throws PermanentError(OCR_TIMEOUT) once the budget is spent. */
  check(): void {
    if (this.remainingMs() <= 0) throw this.timeoutError();
  }

  /**
   * Resolves with `work`, or rejects with OCR_TIMEOUT when the budget runs out first; `onTimeout` lets the
   * caller stop the abandoned work (e.g. terminate a tesseract worker) so it does not keep burning a core.
   */
  async race<T>(work: Promise<T>, onTimeout?: () => void | Promise<void>): Promise<T> {
    const remaining = this.remainingMs();
    if (remaining <= 0) {
      work.catch(() => undefined);
      await onTimeout?.();
      throw this.timeoutError();
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void Promise.resolve(onTimeout?.()).finally(() => reject(this.timeoutError()));
      }, remaining);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
      work.catch(() => undefined);
    }
  }

  private timeoutError(): PermanentError {
    return new PermanentError(RejectReason.OCR_TIMEOUT, `OCR exceeded its budget of ${this.budgetMs} ms`, {
      budgetMs: this.budgetMs,
    });
  }
}
