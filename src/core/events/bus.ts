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
  /** Loaders of services that subscribe to an event once loaded (see wakeOn). */
  private readonly wakers = new Map<string, Array<() => Promise<unknown>>>();
  /** Events emitted while their wakers run, delivered when the first handler subscribes. */
  private readonly queued = new Map<string, unknown[]>();
  private readonly onError: (err: unknown, event: string) => void;

  constructor(onError: (err: unknown, event: string) => void = (err, event) => console.error(`event ${event}:`, err)) {
    this.onError = onError;
  }

  on<K extends keyof NimbusEvents>(event: K, handler: Handler<NimbusEvents[K]>): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler as Handler<unknown>);
    // The service a wake loaded subscribes from its start hook, before its load resolves: what
    // was emitted meanwhile is queued for delivery ahead of any request that awaited the load.
    if (this.wakers.has(event)) this.woken(event);
    return () => set!.delete(handler as Handler<unknown>);
  }

  private woken(event: string): void {
    const pending = this.queued.get(event) ?? [];
    this.wakers.delete(event);
    this.queued.delete(event);
    for (const payload of pending) this.deliver(event, payload);
  }

  /**
   * `wake` (a service's lazy load, whose start hook subscribes with on()) runs at the first
   * emit of `event` nobody listens to; that event, and any emitted until the service
   * subscribes, are delivered to it then, in order.
   */
  wakeOn(event: keyof NimbusEvents, wake: () => Promise<unknown>): void {
    let list = this.wakers.get(event);
    if (!list) this.wakers.set(event, (list = []));
    list.push(wake);
  }

  /** Whether anything listens to an event (so a publisher can skip building its payload). */
  has(event: keyof NimbusEvents): boolean {
    return (this.handlers.get(event)?.size ?? 0) > 0 || this.wakers.has(event);
  }

  emit<K extends keyof NimbusEvents>(event: K, payload: NimbusEvents[K]): void {
    if (this.wakers.has(event)) {
      let pending = this.queued.get(event);
      if (!pending) {
        this.queued.set(event, (pending = []));
        const wakes = this.wakers.get(event)!.map((wake) => wake());
        // A wake that failed, or a service that never subscribed: deliver to whoever listens, stop waiting.
        void Promise.all(wakes)
          .catch((e) => this.onError(e, event))
          .then(() => {
            if (this.wakers.has(event)) this.woken(event);
          });
      }
      pending.push(payload);
      return;
    }
    this.deliver(event, payload);
  }

  private deliver(event: string, payload: unknown): void {
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
