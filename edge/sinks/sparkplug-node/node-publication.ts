import type { NodeMetric } from './node-metrics.js';

export const REBIRTH_METRIC = 'Node Control/Rebirth';

/** A metric as it goes into a Sparkplug payload. */
export interface PublishedMetric {
  name?: string;
  alias: number;
  type: NodeMetric['type'];
  value: NodeMetric['value'];
}

/**
 * What the agent as an edge node has told the hosts: the alias of each metric (from its NBIRTH),
 * the values last published, and the message sequence number. A data message carries only what
 * changed, by alias; a metric the birth did not declare needs a new birth (Sparkplug: every metric
 * of a session is in its birth).
 */
export class NodePublication {
  private readonly aliases = new Map<string, number>();
  private readonly published = new Map<string, NodeMetric['value']>();
  private seq = 0;

  /** The NBIRTH's metrics: bdSeq, the rebirth control, every metric with its alias; seq starts at 0. */
  birth(metrics: readonly NodeMetric[], bdSeq: number): { seq: number; metrics: PublishedMetric[] } {
    // Aliases stay what they were for names seen before, so a host's history keeps its key.
    this.published.clear();
    const control: NodeMetric[] = [
      { name: 'bdSeq', type: 'UInt64', value: bdSeq },
      { name: REBIRTH_METRIC, type: 'Boolean', value: false },
    ];
    const all = [...control, ...metrics].map((metric) => {
      this.published.set(metric.name, metric.value);
      return { name: metric.name, alias: this.aliasOf(metric.name), type: metric.type, value: metric.value };
    });
    this.seq = 0;
    return { seq: 0, metrics: all };
  }

  /**
   * The NDATA for `metrics`: `birth` when one is not in the birth (publish a new NBIRTH instead),
   * otherwise the changed ones by alias (none: nothing to publish) and the next seq.
   */
  data(
    metrics: readonly NodeMetric[],
  ): { birth: true } | { birth: false; seq: number; metrics: PublishedMetric[] } {
    if (metrics.some((m) => !this.published.has(m.name))) return { birth: true };
    const changed = metrics
      .filter((m) => this.published.get(m.name) !== m.value)
      .map((m) => {
        this.published.set(m.name, m.value);
        return { alias: this.aliasOf(m.name), type: m.type, value: m.value };
      });
    if (changed.length === 0) return { birth: false, seq: this.seq, metrics: [] };
    this.seq = (this.seq + 1) % 256;
    return { birth: false, seq: this.seq, metrics: changed };
  }

  /** The alias the last birth declared for `name`; undefined before a birth or for a name not in it. */
  declaredAlias(name: string): number | undefined {
    return this.published.has(name) ? this.aliases.get(name) : undefined;
  }

  /** Names published in this session: the findings stay published (at 0) once they appeared. */
  names(): ReadonlySet<string> {
    return new Set(this.published.keys());
  }

  private aliasOf(name: string): number {
    let alias = this.aliases.get(name);
    if (alias === undefined) {
      alias = this.aliases.size + 1;
      this.aliases.set(name, alias);
    }
    return alias;
  }
}
