// Where the table parser puts each row. Building a ProxyRecord per row (`ps parse`, the bot) and
// folding rows straight into per-workload groups (`ps diff`) share one tokenizer; the sink decides.
import type { Shared } from './cells.js';
import type { ProxyRecord } from './model.js';

/**
 * Receives valid rows: pod is text[nameS, dot), namespace text[dot + 1, nameE), both checked, the
 * workload text[nameS, end); repeat: the workload and namespace are the previous row's.
 */
export interface RowSink {
  row(
    text: string,
    nameS: number,
    dot: number,
    nameE: number,
    end: number,
    repeat: boolean,
    cluster: string | null,
    istiod: string | null,
    revision: string,
    version: string,
    state: Shared | null,
  ): void;
}

/**
 * One ProxyRecord per row. A class, not an object literal: V8 generalises the field types of a
 * literal the second time it runs (the second table), which deoptimised the whole parser.
 */
export class RecordSink implements RowSink {
  readonly proxies: ProxyRecord[] = [];
  private readonly namespaces = new Map<string, string>();
  /** previous row's workload and namespace, reused when the next row shares them. */
  private lastWorkload = '';
  private lastNamespace = '';

  row(
    text: string,
    nameS: number,
    dot: number,
    nameE: number,
    end: number,
    repeat: boolean,
    cluster: string | null,
    istiod: string | null,
    revision: string,
    version: string,
    state: Shared | null,
  ): void {
    const pod = text.slice(nameS, dot);
    // rows of one workload are adjacent, so the previous namespace usually matches without a cut
    let namespace = this.lastNamespace;
    if (!repeat && (namespace.length !== nameE - dot - 1 || !text.startsWith(namespace, dot + 1))) {
      const raw = text.slice(dot + 1, nameE);
      namespace = this.namespaces.get(raw) ?? raw;
      this.namespaces.set(namespace, namespace);
      this.lastNamespace = namespace;
    }
    let workload = this.lastWorkload;
    if (!repeat && (workload.length !== end - nameS || !text.startsWith(workload, nameS))) {
      workload = end === dot ? pod : text.slice(nameS, end);
      this.lastWorkload = workload;
    }
    this.proxies.push({
      pod,
      namespace,
      workload,
      cluster,
      istiod,
      revision,
      version,
      xds: state === null ? {} : state.xds,
      synced: state === null ? null : state.synced,
    });
  }
}
