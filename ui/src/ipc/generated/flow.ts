// Generated from podterm_core::flow by `cargo test -p podterm-desktop`: do not edit.
/** Unacknowledged output bytes at which the engine stops sending. */
export const HIGH_WATER = 1048576;
/** Sending resumes once acknowledgements bring the unacknowledged bytes below this. */
export const LOW_WATER = 262144;
/** The largest output message the engine sends. */
export const MAX_BATCH = 262144;
/** The terminal acknowledges once this many written bytes are pending (at most LOW_WATER,
 * or output could stall with acknowledgements held back). */
export const ACK_SIZE = 65536;
/** …or once output has been quiet this long (ms), so a prompt never waits. */
export const ACK_IDLE_MS = 15;
/** …and a message of at least this many bytes as soon as it is written (a small window's
 * batches are smaller than ACK_SIZE, and each must come back once drawn). */
export const ACK_MESSAGE = 8192;
/** Acks of fewer bytes do not measure the tab's draw rate (an echo's parse time is under
 * the clock's step); at most the smallest paced batch. */
export const DRAW_MIN_ACK = 1024;
