// Typed in-process event bus for effects that cross services (S3 -> Lambda, metrics ->
// CloudWatch). Delivery is asynchronous (next tick) so a publisher's request never waits on
// a subscriber, and a failing subscriber never fails the publisher.

export interface NimbusEvents {
  /** A service emitted a metric datapoint for CloudWatch (AWS/SQS, AWS/Lambda ...). */
  "metric": { accountId: string; region: string; namespace: string; name: string; dimensions: Record<string, string>; value: number; unit?: string; timestamp: number };
  /**
   * DynamoDB committed a stream record (the record as GetRecords returns it, binary values as
   * bytes): what Lambda event source mappings on a table stream consume.
   */
  "dynamodb.stream-record": { accountId: string; region: string; tableName: string; streamArn: string; sequenceNumber: string; record: Record<string, unknown> };
  /** A service's state was reset through /_nimbus/state/reset. */
  "state.reset": { service?: string };
}

type Handler<T> = (payload: T) => void | Promise<void>;

export class EventBus {
  private readonly handlers = new Map<string, Set<Handler<unknown>>>();
  private readonly onError: (err: unknown, event: string) => void;

  constructor(onError: (err: unknown, event: string) => void = (err, event) => console.error(`event ${event}:`, err)) {
    this.onError = onError;
  }

  on<K extends keyof NimbusEvents>(event: K, handler: Handler<NimbusEvents[K]>): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler as Handler<unknown>);
    return () => set!.delete(handler as Handler<unknown>);
  }

  /** Whether anything listens to an event (so a publisher can skip building its payload). */
  has(event: keyof NimbusEvents): boolean {
    return (this.handlers.get(event)?.size ?? 0) > 0;
  }

  emit<K extends keyof NimbusEvents>(event: K, payload: NimbusEvents[K]): void {
    const set = this.handlers.get(event);
    if (!set || set.size === 0) return;
    for (const h of set) {
      queueMicrotask(() => {
        try {
          const r = h(payload);
          if (r && typeof (r as Promise<void>).catch === "function") (r as Promise<void>).catch((e) => this.onError(e, event));
        } catch (e) {
          this.onError(e, event);
        }
      });
    }
  }
}
