import { UnknownElementError } from './errors.ts';

/**
 * A keyed registry (resources, detectors, remediators). Looking up an unknown id throws an
 * error that lists the valid ones, so a typo in a policy explains itself.
 */
export class Registry<T extends { id: string }> {
  private readonly items = new Map<string, T>();

  constructor(readonly kind: string) {}

  register(item: T): T {
    if (this.items.has(item.id)) throw new Error(`${this.kind} '${item.id}' is registered twice`);
    this.items.set(item.id, item);
    return item;
  }

  get(id: string): T {
    const item = this.items.get(id);
    if (!item) throw new UnknownElementError(this.kind, id, this.ids());
    return item;
  }

  has(id: string): boolean {
    return this.items.has(id);
  }

  ids(): string[] {
    return [...this.items.keys()].sort();
  }

  all(): T[] {
    return [...this.items.values()];
  }
}
