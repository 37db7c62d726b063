// Output arrives on a raw channel as an ArrayBuffer; accept the JSON forms too, to be lenient.

/** A channel message as bytes. */
export function toBytes(message: unknown): Uint8Array {
  if (message instanceof ArrayBuffer) return new Uint8Array(message);
  if (message instanceof Uint8Array) return message;
  if (ArrayBuffer.isView(message)) {
    return new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
  }
  if (Array.isArray(message)) return Uint8Array.from(message as number[]);
  if (typeof message === "string") return new TextEncoder().encode(message);
  return new Uint8Array(0);
}
