/**
 * An AWS SDK client whose answers a test may replace with the errors AWS documents for them
 * (the SDK's own exception classes, as a real service answer would be parsed): the only mock
 * the consumer tests use, at the AWS boundary, for what the emulators cannot produce on demand
 * (trimmed records, expired iterators, throttling, resharding of a DynamoDB stream).
 */
export type Fault = (command: { constructor: { name: string }; input: Record<string, unknown> }) => Error | null;

/** Rewrites an answer as AWS would have given it in a state the emulator cannot reach. */
export type Rewrite = (command: Parameters<Fault>[0], output: Record<string, unknown>) => Record<string, unknown>;

export function faultyClient<C extends { send: (...args: never[]) => Promise<unknown> }>(
  real: C,
  faults: Fault[],
  rewrites: Rewrite[] = [],
): C & { faults: Fault[]; calls: string[] } {
  const calls: string[] = [];
  const proxy = new Proxy(real, {
    get(target, property, receiver) {
      if (property === 'faults') return faults;
      if (property === 'calls') return calls;
      if (property !== 'send') return Reflect.get(target, property, receiver) as unknown;
      return async (command: Parameters<Fault>[0], ...rest: unknown[]) => {
        calls.push(command.constructor.name);
        for (const fault of faults) {
          const error = fault(command);
          if (error) throw error;
        }
        let output = (await (target.send as (...args: unknown[]) => Promise<unknown>).call(target, command, ...rest)) as Record<string, unknown>;
        for (const rewrite of rewrites) output = rewrite(command, output);
        return output;
      };
    },
  });
  return proxy as C & { faults: Fault[]; calls: string[] };
}

/** A fault that strikes the first `times` calls of `commandName` matching `when`. */
export function failTimes(commandName: string, times: number, error: () => Error, when: (input: Record<string, unknown>) => boolean = () => true): Fault {
  let left = times;
  return (command) => {
    if (left <= 0 || command.constructor.name !== commandName || !when(command.input)) return null;
    left--;
    return error();
  };
}
