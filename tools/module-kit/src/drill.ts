/**
 * Facts of the DR drill that the code granting it access (the bootstrap roots' drill role)
 * and the drill itself share. No imports: light enough for the generator to load at run time.
 */

/**
 * The `pk` of the drill's lock, one item of the environment's payments table, so two drills
 * never overlap: the drill writes and deletes it, and the drill role may write no other key.
 */
export const DRILL_LOCK_KEY = "drill#lock";

/**
 * The `pk` prefix of the drill's canary payments (`payment#` and the drill's payment keys): the
 * drill role may read these items of the payments table and no other payment.
 */
export const DRILL_CANARY_KEY_PREFIX = "payment#tandem-drill-";
