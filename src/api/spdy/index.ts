/**
 * SPDY/3.1 as kubectl's port-forward speaks it: framing and header compression, shared by the hub's
 * server side (`src/hub/server/streams/spdy/session.ts`) and edgectl's client side.
 */
export { SPDY3_DICTIONARY } from './dictionary.js';
export {
  ControlType,
  FLAG_FIN,
  FrameReader,
  GoAwayStatus,
  MAX_CONTROL_FRAME_BYTES,
  MAX_DATA_FRAME_BYTES,
  RstStatus,
  SPDY_VERSION,
  SpdyProtocolError,
  encodeControl,
  encodeData,
  encodeGoAway,
  encodePing,
  encodeRstStream,
  encodeSynReply,
  encodeSynStream,
  parseGoAway,
  parsePing,
  parseRstStream,
  parseStreamHeaders,
  parseSynStream,
  type SpdyFrame,
  type SynStream,
} from './frames.js';
export {
  HeaderCodec,
  MAX_HEADERS,
  MAX_HEADER_BLOCK_BYTES,
  decodeHeaderBlock,
  encodeHeaderBlock,
  type SpdyHeaders,
} from './header-codec.js';
