declare module 'snappyjs' {
  /** Snappy block format (what Prometheus remote write expects). */
  export function compress(input: Uint8Array): Uint8Array;
  export function uncompress(input: Uint8Array): Uint8Array;
}
