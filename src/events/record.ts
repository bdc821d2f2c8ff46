/** One unit of decoded text from an object, before it becomes an event. */
export interface DecodedRecord {
  /**
   * Byte offset of the record's first byte in the decompressed object. Together with bucket and
   * key it makes the event id deterministic, so it must not depend on chunk boundaries.
   */
  offset: number;
  /** The raw text of the record, without its line terminator. */
  text: string;
  /**
   * True when the record was cut: its bytes were more than `maxEventBytes`, or its text would take
   * more than `maxEventBytes` once JSON-escaped (as shipped; see shipped.ts).
   */
  truncated: boolean;
  /** True when the record's bytes were not valid UTF-8: each invalid sequence became U+FFFD in `text`. */
  invalidUtf8?: boolean;
  /** True when the record joins several lines (multiline). */
  multiline?: boolean;
  /** Set when the record could not be decoded as its format demands (e.g. ndjson line that is not JSON); the raw text is still shipped. */
  error?: string;
}
