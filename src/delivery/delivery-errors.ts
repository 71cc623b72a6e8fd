/** A failure retrying cannot fix (no address to send to, an address deliveries may not reach): the delivery is DEAD at once. */
export class PermanentDeliveryError extends Error {}
