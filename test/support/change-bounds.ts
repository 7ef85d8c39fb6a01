import { changeBounds } from '../../src/decode/change-bounds.js';

/** The bounds a delivery arriving now gets by default (FUTURE_CHANGE_MARGIN_SECONDS: a day). */
export const nowBounds = changeBounds(Date.now(), 24 * 3600);
