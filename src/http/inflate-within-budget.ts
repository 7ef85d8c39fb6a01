import type { DeliverySlot } from './delivery-gate.js';
import type { BodyBuffers } from './body-buffers.js';
import { BudgetOutgrownError, type ProcessingBudget } from './processing-budget.js';
import { inflateBody, inflatedSizeOf, type BodyLimits, type ReceivedBody } from './read-body.js';

/**
 * A delivery's turn to inflate, parse and write, holding budget for every inflated byte: the
 * estimate (gzip's trailer) is taken first, and each byte out of the inflater beyond it is
 * covered from the budget as it comes. A body that outgrows what is free beside the deliveries
 * running (its trailer lied: several members declare only the last one's size) is dropped and
 * inflated again alone, holding the whole budget. The budget comes back once the slot frees
 * (its write settled). The inflated bytes are in memory `buffers` lends, when given.
 */
export async function inflateWithinBudget(
  body: ReceivedBody,
  limits: BodyLimits,
  budget: ProcessingBudget,
  slot: DeliverySlot,
  buffers?: BodyBuffers,
): Promise<Buffer> {
  const estimated = await budget.acquire(inflatedSizeOf(body, limits), slot.signal);
  void slot.freed.then(() => estimated.release());
  try {
    return await inflateBody(body, limits, slot.signal, (bytes) => estimated.cover(bytes), buffers);
  } catch (error) {
    if (!(error instanceof BudgetOutgrownError)) throw error;
  }
  estimated.release();
  const alone = await budget.acquire(Infinity, slot.signal);
  void slot.freed.then(() => alone.release());
  return inflateBody(body, limits, slot.signal, (bytes) => alone.cover(bytes), buffers);
}
