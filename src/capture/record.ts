/**
 * One capture record as the readers hand it on: a reused object whose `data` is the reader's
 * current chunk, valid only until the next record is read. Consumers copy what they keep.
 */
export class CaptureRecord {
  /** 1-based frame number inside its file, counting every packet record, as Wireshark numbers frames. */
  frame = 0;
  /** Timestamp in epoch seconds (microsecond or better precision as the file gives it). */
  ts = 0;
  /** Captured length (bytes present in `data`). */
  caplen = 0;
  /** Original length on the wire. */
  origLen = 0;
  /** LINKTYPE_* of the interface the record came from. */
  linkType = 0;
  /** pcapng interface id (0 for classic pcap). */
  interfaceId = 0;
  /** Byte offset of the record's header in the (decompressed) file, for error messages. */
  fileOffset = 0;
  /** The buffer holding the frame; the frame is `data[start, start + caplen)`. */
  data: Uint8Array = new Uint8Array(0);
  /** A DataView over the same buffer as `data` (readers keep both in step). */
  view: DataView = new DataView(new ArrayBuffer(0));
  start = 0;
}
