/** Where phrase audio comes from: local files for the CLI, S3 in production. */

/** Reads audio bytes by reference (a path or an object key). */
export interface AudioSource {
  /**
   * Returns the bytes of `ref`. Throws AudioDecodeError with code `missing` when it does not exist.
   */
  read(ref: string): Promise<Uint8Array>;
  /** A human-readable name for `ref` (used in errors and warnings). */
  describe(ref: string): string;
}
