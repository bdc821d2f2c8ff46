import type { DecodedRecord } from "../../events/record.ts";

/**
 * A decoder turns the (decompressed) byte stream of one object into records.
 * It must stream: memory use is bounded by `maxEventBytes`, never by the object's size. A record's
 * text never takes more than `maxEventBytes` as shipped (JSON-escaped UTF-8).
 * It throws (with the byte offset in the message) when the data is structurally broken.
 */
export type Decoder = (input: AsyncIterable<Buffer>) => AsyncIterable<DecodedRecord>;
