/**
 * Every page of a Kubernetes list (500 items a page), each page one guarded request of the client
 * (its timeout, retries and the caller's signal). With `orNull`, a 404 (the kind is not served: its
 * CRD is absent) answers null instead of throwing.
 */
import type { KubeClient, RequestOptions } from './client.js';

const PAGE = 500;

export interface Listed<T> {
  items: T[];
  /** `_continue` in the typed clients' objects, `continue` in the raw JSON of custom objects. */
  metadata?: { _continue?: string; continue?: string };
}

export type PageFn<T> = (
  page: { limit: number; _continue?: string },
  o: RequestOptions,
) => Promise<Listed<T>>;

export function listAll<T>(
  client: KubeClient,
  what: string,
  signal: AbortSignal | undefined,
  fn: PageFn<T>,
): Promise<T[]>;
export function listAll<T>(
  client: KubeClient,
  what: string,
  signal: AbortSignal | undefined,
  fn: PageFn<T>,
  orNull: true,
): Promise<T[] | null>;
export async function listAll<T>(
  client: KubeClient,
  what: string,
  signal: AbortSignal | undefined,
  fn: PageFn<T>,
  orNull = false,
): Promise<T[] | null> {
  const out: T[] = [];
  let cont: string | undefined;
  do {
    const page = { limit: PAGE, ...(cont ? { _continue: cont } : {}) };
    const got = orNull
      ? await client.requestOrNull(what, (o) => fn(page, o), { signal })
      : await client.request(what, (o) => fn(page, o), { signal });
    if (got === null) return null;
    out.push(...got.items);
    cont = got.metadata?._continue || got.metadata?.continue || undefined;
  } while (cont);
  return out;
}
