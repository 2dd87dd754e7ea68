/** A value or a reason: domain functions return these instead of throwing. */
export type Result<T, E = DomainError> = { ok: true; value: T } | { ok: false; error: E };

/** A refusal a person can act on: what was wrong and how to write it right. */
export interface DomainError {
  code: string;
  message: string;
  hint?: string;
}

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const err = <E = DomainError>(error: E): { ok: false; error: E } => ({ ok: false, error });
