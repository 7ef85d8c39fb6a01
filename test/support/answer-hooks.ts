import type { StandInRequest } from './cratedb-stand-in.js';

/**
 * One-shot actions run between the database's answer to a request and the sink reading it: a
 * test's way to let another writer in at an exact point of the sink's protocol, at the network
 * boundary, without reaching into the sink.
 */
export class AnswerHooks {
  private readonly pending: { when: (request: StandInRequest) => boolean; action: () => Promise<void> }[] = [];

  /** The first later request `when` matches runs `action` once it is answered, before the sink sees the answer. */
  add(when: (request: StandInRequest) => boolean, action: () => Promise<void>): void {
    this.pending.push({ when, action });
  }

  async run(request: StandInRequest): Promise<void> {
    const at = this.pending.findIndex((hook) => hook.when(request));
    if (at < 0) return;
    const [hook] = this.pending.splice(at, 1);
    await hook!.action();
  }
}
